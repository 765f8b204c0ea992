using System.Reflection;
using System.Text;
using Skybridge.Core.Ledger;

namespace Skybridge.Storage.Sql;

/// <summary>One versioned schema change, shipped as an embedded SQL file named <c>NNNN_name.sql</c>.</summary>
internal sealed record Migration(int Version, string Name, string Sql, string Checksum);

internal static class Migrations
{
    /// <summary>The migrations of a dialect, in version order. The checksum catches a shipped file that was edited after release.</summary>
    public static IReadOnlyList<Migration> Load(string dialect)
    {
        var assembly = typeof(Migrations).Assembly;
        var prefix = $"{assembly.GetName().Name}.Migrations.{dialect}.";
        var result = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            var fileName = resource[prefix.Length..^4];
            var separator = fileName.IndexOf('_', StringComparison.Ordinal);
            var version = int.Parse(fileName[..separator], System.Globalization.CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var sql = reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
            var checksum = TextDigest.Sha256(sql);
            result.Add(new Migration(version, fileName[(separator + 1)..], sql, checksum));
        }

        return result.OrderBy(m => m.Version).ToList();
    }
}
