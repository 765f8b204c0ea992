namespace Skybridge.Core.Manifests;

/// <summary>How a connector reaches its system.</summary>
public enum ConnectorType
{
    /// <summary>An HTTP API.</summary>
    Http,

    /// <summary>A Model Context Protocol server, remote (endpoint) or local (command).</summary>
    Mcp,
}

/// <summary>A connection to a system of record; actions execute through it.</summary>
public sealed record Connector
{
    /// <summary>Connector name, referenced by actions.</summary>
    public required string Name { get; init; }

    /// <summary>HTTP or MCP.</summary>
    public required ConnectorType Type { get; init; }

    /// <summary>http(s) URL; required for HTTP, the alternative to <see cref="Command"/> for MCP.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>Command line starting a local MCP server (stdio transport), or null.</summary>
    public string? Command { get; init; }

    /// <summary>What the connector reaches, or null.</summary>
    public string? Description { get; init; }
}

/// <summary>How much harm an action can do, which decides when a person must approve it.</summary>
public enum ActionConsequence
{
    /// <summary>Cheap to undo; flows through at L2.</summary>
    Routine,

    /// <summary>Costly to undo; always approved by a person unless a rule explicitly waives it.</summary>
    Consequential,

    /// <summary>Never executed.</summary>
    Prohibited,
}

/// <summary>An operation on a system of record.</summary>
public sealed record ActionDefinition
{
    /// <summary>Action name, referenced by policy rules and approve authorities.</summary>
    public required string Name { get; init; }

    /// <summary>What the action does, or null.</summary>
    public string? Description { get; init; }

    /// <summary>Name of the connector that executes it.</summary>
    public required string Connector { get; init; }

    /// <summary>Consequence class.</summary>
    public required ActionConsequence Consequence { get; init; }

    /// <summary>
    /// The scope the system of record wants on the token Skybridge mints for this action's call (for example
    /// <c>billing:refund</c>), or null for the action's name.
    /// </summary>
    public string? Scope { get; init; }

    /// <summary>The parameter schema, in manifest order.</summary>
    public IReadOnlyList<ActionParameter> Parameters { get; init; } = [];

    /// <summary>The parameter with this name, or null.</summary>
    public ActionParameter? FindParameter(string name) => Parameters.FirstOrDefault(p => p.Name == name);
}

/// <summary>The type of an action parameter.</summary>
public enum ParameterType
{
    /// <summary>Text.</summary>
    String,

    /// <summary>Any number.</summary>
    Number,

    /// <summary>A whole number.</summary>
    Integer,

    /// <summary>true or false.</summary>
    Boolean,
}

/// <summary>One parameter of an action.</summary>
public sealed record ActionParameter
{
    /// <summary>Parameter name; also the context field policy conditions test.</summary>
    public required string Name { get; init; }

    /// <summary>Type.</summary>
    public required ParameterType Type { get; init; }

    /// <summary>Whether a proposal must include it.</summary>
    public bool Required { get; init; }

    /// <summary>Inclusive lower bound for numbers, or null.</summary>
    public double? Minimum { get; init; }

    /// <summary>Inclusive upper bound for numbers, or null.</summary>
    public double? Maximum { get; init; }

    /// <summary>.NET regular expression strings must match, or null.</summary>
    public string? Pattern { get; init; }

    /// <summary>The allowed values (as written), or null for any.</summary>
    public IReadOnlyList<string>? AllowedValues { get; init; }
}
