using Microsoft.Extensions.Logging;

namespace Skybridge.Server.Telemetry;

/// <summary>Source-generated log messages with stable event ids (1000-1999: server). Never secrets, never raw tokens.</summary>
internal static partial class Log
{
    /// <summary>Logged instead of a refused name that matches no account (it may be a password typed in the wrong field).</summary>
    public const string UnknownAccount = "unknown account";

    [LoggerMessage(1000, LogLevel.Information, "Skybridge node {NodeId} started on {Store} ({Description}), schema version {SchemaVersion}")]
    public static partial void NodeStarted(ILogger logger, string nodeId, string store, string description, int schemaVersion);

    [LoggerMessage(1001, LogLevel.Information, "Listening on {Address}")]
    public static partial void Listening(ILogger logger, string address);

    [LoggerMessage(1010, LogLevel.Information, "{UserName} signed in")]
    public static partial void SignedIn(ILogger logger, string userName);

    /// <summary><paramref name="userName"/> is an account's own name or <see cref="UnknownAccount"/>, never the name as typed.</summary>
    [LoggerMessage(1011, LogLevel.Warning, "Sign-in refused for {UserName}: {Outcome}")]
    public static partial void SignInRefused(ILogger logger, string userName, string outcome);

    [LoggerMessage(1020, LogLevel.Warning, "{UserName} was refused {Permission} on {WorkflowId}: {Verdict}")]
    public static partial void AccessRefused(ILogger logger, string userName, string permission, string workflowId, string verdict);

    [LoggerMessage(1030, LogLevel.Information, "{UserName} published {WorkflowId} version {Version} ({Outcome})")]
    public static partial void ManifestPublished(ILogger logger, string userName, string workflowId, int version, string outcome);

    [LoggerMessage(1031, LogLevel.Information, "{UserName} switched {WorkflowId} to version {Version} ({Kind})")]
    public static partial void VersionActivated(ILogger logger, string userName, string workflowId, int version, string kind);

    [LoggerMessage(1040, LogLevel.Information, "{UserName} granted {Role} on {WorkflowId} to {Grantee}")]
    public static partial void RoleGranted(ILogger logger, string userName, string role, string workflowId, string grantee);
}
