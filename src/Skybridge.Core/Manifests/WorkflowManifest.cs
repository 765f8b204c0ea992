using Skybridge.Core.Access;

namespace Skybridge.Core.Manifests;

/// <summary>
/// One workflow version, as declared by its manifest. Only <see cref="ManifestLoader"/> builds these, and only from a
/// manifest without errors, so every reference in it (connector, action, role) resolves.
/// </summary>
public sealed record WorkflowManifest
{
    /// <summary>Lower-case slug identifying the workflow (<c>support-desk</c>); stable across versions.</summary>
    public required string Id { get; init; }

    /// <summary>Human-readable name.</summary>
    public required string Name { get; init; }

    /// <summary>What the workflow is for, or null.</summary>
    public string? Description { get; init; }

    /// <summary>The person or group accountable for the workflow.</summary>
    public required Principal Owner { get; init; }

    /// <summary>Who decides what: approvals, review, monitoring, recalibration, halting, gate sign-off.</summary>
    public required DecisionAuthorities Authorities { get; init; }

    /// <summary>Agent roles taking part in the workflow.</summary>
    public IReadOnlyList<AgentRole> Agents { get; init; } = [];

    /// <summary>The data boundary: nothing outside these sources is retrievable.</summary>
    public IReadOnlyList<DataSource> Sources { get; init; } = [];

    /// <summary>The model provider and what data may reach it.</summary>
    public required ModelSettings Model { get; init; }

    /// <summary>Prompts, or null when the provider needs none.</summary>
    public PromptSettings? Prompts { get; init; }

    /// <summary>Retrieval settings (defaults when the manifest has no <c>retrieval</c> section).</summary>
    public RetrievalSettings Retrieval { get; init; } = new();

    /// <summary>Connectors to systems of record.</summary>
    public IReadOnlyList<Connector> Connectors { get; init; } = [];

    /// <summary>Operations on systems of record that agents may propose.</summary>
    public IReadOnlyList<ActionDefinition> Actions { get; init; } = [];

    /// <summary>Limits on calls and on sums of a parameter per period, checked before an action runs.</summary>
    public IReadOnlyList<Budget> Budgets { get; init; } = [];

    /// <summary>What the workflow proposes itself after a case's draft (the built-in responder), or null for nothing.</summary>
    public ResponderSettings? Responder { get; init; }

    /// <summary>Permit/forbid rules; deny by default.</summary>
    public PolicySettings Policy { get; init; } = new();

    /// <summary>Where the workflow stands on the autonomy ladder.</summary>
    public required AutonomySettings Autonomy { get; init; }

    /// <summary>Metric thresholds an evaluation run must clear, written before the build.</summary>
    public IReadOnlyList<AcceptanceCriterion> AcceptanceBar { get; init; } = [];

    /// <summary>Path of the golden set, relative to the manifest's folder, or null.</summary>
    public string? GoldenSet { get; init; }

    /// <summary>The golden set's pinned SHA-256 (lower-case hex), or null when the manifest does not pin it.</summary>
    public string? GoldenSetSha256 { get; init; }

    /// <summary>Conditions the pilot relied on, each with an automatic check.</summary>
    public IReadOnlyList<Assumption> Assumptions { get; init; } = [];

    /// <summary>Other teams or processes to notify when this workflow changes state.</summary>
    public IReadOnlyList<Dependency> Dependencies { get; init; } = [];

    /// <summary>Receivers told about the workflow's approvals, actions and halts as they happen.</summary>
    public IReadOnlyList<Webhook> Webhooks { get; init; } = [];

    /// <summary>The action with this name, or null.</summary>
    public ActionDefinition? FindAction(string name) => Actions.FirstOrDefault(a => a.Name == name);

    /// <summary>The connector with this name, or null.</summary>
    public Connector? FindConnector(string name) => Connectors.FirstOrDefault(c => c.Name == name);
}

/// <summary>The kind of a <see cref="Principal"/>.</summary>
public enum PrincipalKind
{
    /// <summary>One person: <c>user:NAME</c>.</summary>
    User,

    /// <summary>A group of people: <c>group:NAME</c>.</summary>
    Group,
}

/// <summary>A person or group named in a manifest, written <c>user:NAME</c> or <c>group:NAME</c> (a <see cref="Subject"/>).</summary>
/// <param name="Kind">User or group.</param>
/// <param name="Name">The name after the colon (letters, digits, <c>.</c>, <c>_</c>, <c>-</c>, <c>@</c>).</param>
public sealed record Principal(PrincipalKind Kind, string Name)
{
    /// <summary>The same person or group as a <see cref="Subject"/>.</summary>
    public Subject Subject => Kind == PrincipalKind.User ? Subject.Person(Name) : Subject.Group(Name);

    /// <summary>The manifest spelling, <c>user:maria.lopez</c>.</summary>
    public override string ToString() => Subject.ToString();

    /// <summary>Parses <c>user:NAME</c> or <c>group:NAME</c>; false for anything else.</summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Principal? principal)
    {
        principal = Subject.TryParse(text, out var subject) ? subject.Kind switch
        {
            SubjectKind.Person => new Principal(PrincipalKind.User, subject.Name),
            SubjectKind.Group => new Principal(PrincipalKind.Group, subject.Name),
            _ => null,
        } : null;
        return principal is not null;
    }
}

/// <summary>Who decides what in a workflow. Every list but <see cref="Approve"/> is non-empty in a valid manifest.</summary>
public sealed record DecisionAuthorities
{
    /// <summary>Per action name, the principals who may approve it.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<Principal>> Approve { get; init; } = new Dictionary<string, IReadOnlyList<Principal>>();

    /// <summary>Who reviews sampled live outputs.</summary>
    public IReadOnlyList<Principal> Review { get; init; } = [];

    /// <summary>Who watches the workflow's health and alarms.</summary>
    public IReadOnlyList<Principal> Monitor { get; init; } = [];

    /// <summary>Who may change thresholds, prompts and the golden set.</summary>
    public IReadOnlyList<Principal> Recalibrate { get; init; } = [];

    /// <summary>Who may pull the kill switch.</summary>
    public IReadOnlyList<Principal> Halt { get; init; } = [];

    /// <summary>Who signs promotion gates.</summary>
    public IReadOnlyList<Principal> SignGates { get; init; } = [];
}

/// <summary>An agent role in the workflow; agents are issued identities for a role.</summary>
public sealed record AgentRole
{
    /// <summary>Role name, referenced by policy rules as <c>role:NAME</c>.</summary>
    public required string Role { get; init; }

    /// <summary>What agents in this role do, or null.</summary>
    public string? Description { get; init; }

    /// <summary>Token scopes (<c>resource:verb</c>) the role may be granted; least privilege.</summary>
    public IReadOnlyList<string> Scopes { get; init; } = [];

    /// <summary>
    /// Whom agents of this role may act for through token exchange: <c>role:NAME</c> (agents of another role of this
    /// workflow), <c>user:NAME</c>, or <c>user:*</c> (any person holding a role on this workflow). Empty: nobody.
    /// </summary>
    public IReadOnlyList<string> ActsFor { get; init; } = [];
}
