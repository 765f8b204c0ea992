using System.Runtime.InteropServices;
using Dapper;

namespace Skybridge.Storage.Sql;

/// <summary>Passage vectors; see <see cref="IVectorStore"/>.</summary>
internal abstract partial class SqlStore
{
    // Well under SQLite's and PostgreSQL's limits on parameters in one statement.
    private const int VectorBatch = 500;

    public async Task<IReadOnlyDictionary<string, float[]>> GetPassageVectorsAsync(string modelId, IReadOnlyCollection<string> digests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(modelId);
        ArgumentNullException.ThrowIfNull(digests);
        var found = new Dictionary<string, float[]>(StringComparer.Ordinal);
        if (digests.Count == 0)
        {
            return found;
        }

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        foreach (var chunk in digests.Distinct(StringComparer.Ordinal).Chunk(VectorBatch))
        {
            // One named parameter per digest: Dapper's list expansion is not applied to arrays on Npgsql, and
            // PostgreSQL's = ANY(array) does not exist in SQLite.
            var parameters = new DynamicParameters();
            parameters.Add("modelId", modelId);
            for (var i = 0; i < chunk.Length; i++)
            {
                parameters.Add("d" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), chunk[i]);
            }

            var list = string.Join(", ", Enumerable.Range(0, chunk.Length).Select(i => "@d" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            var rows = await connection.QueryAsync<VectorRow>(new CommandDefinition(
                "SELECT text_sha256 AS Digest, dimension AS Dimension, vector AS Vector FROM passage_vectors WHERE model_id = @modelId AND text_sha256 IN (" + list + ")",
                parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
            foreach (var row in rows)
            {
                // A row whose length does not match its dimension is damaged: treated as absent, so it is computed again.
                if (row.Vector.Length == row.Dimension * sizeof(float))
                {
                    found[row.Digest] = MemoryMarshal.Cast<byte, float>(row.Vector).ToArray();
                }
            }
        }

        return found;
    }

    public async Task<int> PutPassageVectorsAsync(string modelId, IReadOnlyDictionary<string, float[]> vectors, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(modelId);
        ArgumentNullException.ThrowIfNull(vectors);
        if (vectors.Count == 0)
        {
            return 0;
        }

        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Passage vectors are stored little-endian.");
        }

        var now = ToMicros(DateTimeOffset.UtcNow);
        var added = 0;
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (digest, vector) in vectors)
        {
            added += await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO passage_vectors (model_id, text_sha256, dimension, vector, created_at_us) VALUES (@modelId, @digest, @dimension, @bytes, @now) " +
                "ON CONFLICT (model_id, text_sha256) DO NOTHING",
                new { modelId, digest, dimension = (long)vector.Length, bytes = MemoryMarshal.AsBytes(vector.AsSpan()).ToArray(), now },
                tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return added;
    }

    private sealed class VectorRow
    {
        public string Digest { get; set; } = "";
        public long Dimension { get; set; }
        public byte[] Vector { get; set; } = [];
    }
}
