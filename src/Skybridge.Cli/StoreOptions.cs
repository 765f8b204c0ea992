using System.CommandLine;
using Skybridge.Storage;

namespace Skybridge.Cli;

/// <summary>
/// <c>--data DIR</c> (SQLite, the embedded default) or <c>--postgres CONNSTRING</c>, shared by every command that
/// touches the store. The connection string may also come from <c>SKYBRIDGE_POSTGRES</c>, which keeps its password
/// out of the process list.
/// </summary>
internal sealed class StoreOptions
{
    public const string PostgresEnvironmentVariable = "SKYBRIDGE_POSTGRES";

    public Option<string?> Data { get; } = new("--data")
    {
        Description = "Data folder of the embedded SQLite store (default: $SKYBRIDGE_DATA or ~/.local/share/skybridge).",
        HelpName = "DIR",
    };

    public Option<string?> Postgres { get; } = new("--postgres")
    {
        Description = $"PostgreSQL connection string instead of the data folder (or set {PostgresEnvironmentVariable}).",
        HelpName = "CONNSTRING",
    };

    public void AddTo(Command command, bool allowPostgres = true)
    {
        command.Options.Add(Data);
        if (allowPostgres)
        {
            command.Options.Add(Postgres);
            command.Validators.Add(result =>
            {
                if (result.GetValue(Data) is not null && result.GetValue(Postgres) is not null)
                {
                    result.AddError("Use either --data or --postgres, not both.");
                }
            });
        }
    }

    /// <summary>The data folder that would be used (explicit or default), or null for PostgreSQL.</summary>
    public string? DataFolder(ParseResult parse) =>
        PostgresConnectionString(parse) is null ? Path.GetFullPath(parse.GetValue(Data) ?? SkybridgeStores.DefaultDataFolder) : null;

    /// <summary>True when the user named a store on the command line or in the environment.</summary>
    public bool WasGiven(ParseResult parse) => parse.GetValue(Data) is not null || PostgresConnectionString(parse) is not null;

    private string? PostgresConnectionString(ParseResult parse)
    {
        if (parse.GetValue(Data) is not null)
        {
            return null;
        }

        return parse.GetValue(Postgres) ?? (Environment.GetEnvironmentVariable(PostgresEnvironmentVariable) is { Length: > 0 } env ? env : null);
    }

    /// <summary>
    /// Opens and migrates the store, runs <paramref name="body"/> with it and closes it. A store that cannot be used
    /// is reported (cause and fix) and the command exits with <see cref="ExitCodes.Failed"/>.
    /// </summary>
    public async Task<int> WithStoreAsync(ParseResult parse, CliIo io, CancellationToken cancellationToken, Func<ISkybridgeStore, Task<int>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        await using var store = await OpenAsync(parse, io, cancellationToken).ConfigureAwait(false);
        return store is null ? ExitCodes.Failed : await body(store).ConfigureAwait(false);
    }

    /// <summary>Opens and migrates the store; on failure prints the cause and returns null.</summary>
    public async Task<ISkybridgeStore?> OpenAsync(ParseResult parse, CliIo io, CancellationToken cancellationToken)
    {
        ISkybridgeStore? store = null;
        try
        {
            var postgres = PostgresConnectionString(parse);
            store = postgres is not null ? SkybridgeStores.OpenPostgres(postgres) : SkybridgeStores.OpenSqlite(DataFolder(parse)!);
            await store.MigrateAsync(cancellationToken).ConfigureAwait(false);
            return store;
        }
        catch (StoreUnavailableException ex)
        {
            io.Fail(ex.Message);
            if (store is not null)
            {
                await store.DisposeAsync().ConfigureAwait(false);
            }

            return null;
        }
        catch (ArgumentException ex)
        {
            // Npgsql rejects a malformed connection string before connecting; its message names the bad keyword, not the password.
            io.Fail($"The PostgreSQL connection string is not valid: {ex.Message}", "Example: Host=db.internal;Port=5432;Database=skybridge;Username=skybridge");
            return null;
        }
    }
}
