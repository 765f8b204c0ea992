using Skybridge.Storage.Sql;

namespace Skybridge.Storage;

/// <summary>Opens a store. Opening does not touch the schema: call <see cref="ISkybridgeStore.MigrateAsync"/> next.</summary>
public static class SkybridgeStores
{
    /// <summary>The embedded default: a SQLite file in <paramref name="dataFolder"/> (created when missing).</summary>
    public static ISkybridgeStore OpenSqlite(string dataFolder) => new SqliteStore(dataFolder);

    /// <summary>PostgreSQL, shared by several nodes. A malformed string throws <see cref="ArgumentException"/>.</summary>
    public static ISkybridgeStore OpenPostgres(string connectionString) => new PostgresStore(connectionString);

    /// <summary>
    /// The data folder used when none is given: <c>$SKYBRIDGE_DATA</c>, else <c>$XDG_DATA_HOME/skybridge</c>,
    /// else <c>~/.local/share/skybridge</c>.
    /// </summary>
    public static string DefaultDataFolder
    {
        get
        {
            if (Environment.GetEnvironmentVariable("SKYBRIDGE_DATA") is { Length: > 0 } explicitFolder)
            {
                return explicitFolder;
            }

            if (Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg)
            {
                return Path.Combine(xdg, "skybridge");
            }

            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share", "skybridge");
        }
    }
}
