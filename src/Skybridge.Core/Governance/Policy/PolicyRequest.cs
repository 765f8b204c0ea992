namespace Skybridge.Core.Governance.Policy;

/// <summary>The type of a <see cref="PolicyArgument"/>.</summary>
public enum PolicyValueKind
{
    /// <summary>A number (integers included).</summary>
    Number,

    /// <summary>Text.</summary>
    Text,

    /// <summary>true or false.</summary>
    Boolean,
}

/// <summary>
/// One named value a condition can test: an action parameter or a case attribute. A struct, so a request's values
/// sit in one array the caller can reuse, and deciding allocates nothing.
/// </summary>
public readonly struct PolicyArgument
{
    private PolicyArgument(string name, PolicyValueKind kind, double number, string? text, bool boolean)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        Kind = kind;
        Number = number;
        Text = text;
        Boolean = boolean;
    }

    /// <summary>Parameter or attribute name (<c>amount</c>; for a case attribute without the <c>case.</c> prefix).</summary>
    public string Name { get; }

    /// <summary>Which of the value properties holds the value.</summary>
    public PolicyValueKind Kind { get; }

    /// <summary>The value when <see cref="Kind"/> is <see cref="PolicyValueKind.Number"/>.</summary>
    public double Number { get; }

    /// <summary>The value when <see cref="Kind"/> is <see cref="PolicyValueKind.Text"/>.</summary>
    public string? Text { get; }

    /// <summary>The value when <see cref="Kind"/> is <see cref="PolicyValueKind.Boolean"/>.</summary>
    public bool Boolean { get; }

    /// <summary>A number.</summary>
    public static PolicyArgument Of(string name, double value) => new(name, PolicyValueKind.Number, value, null, false);

    /// <summary>Text.</summary>
    public static PolicyArgument Of(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(name, PolicyValueKind.Text, 0, value, false);
    }

    /// <summary>A boolean.</summary>
    public static PolicyArgument Of(string name, bool value) => new(name, PolicyValueKind.Boolean, 0, null, value);

    /// <summary>The value as a condition in a manifest would write it (<c>80</c>, <c>EUR</c>, <c>true</c>).</summary>
    public string ValueText => Kind switch
    {
        PolicyValueKind.Number => Number.ToString(System.Globalization.CultureInfo.InvariantCulture),
        PolicyValueKind.Boolean => Boolean ? "true" : "false",
        _ => Text!,
    };

    /// <inheritdoc/>
    public override string ToString() => $"{Name} = {ValueText}";
}

/// <summary>
/// One question to the policy: may this principal call this action, on this resource, in this context? A readonly
/// struct passed by reference; its values live in arrays the caller owns (and may reuse), so deciding allocates
/// nothing.
/// </summary>
/// <remarks>
/// Rules match the immediate caller: the agent making the call (by its role), or the person when a person calls
/// directly (by their workflow roles). A delegated agent does not gain the roles of whoever it acts for, so an agent
/// acting for an owner is not matched by <c>role:owner</c>: delegation narrows, never widens (RFC 8693 §1.1).
/// </remarks>
public readonly struct PolicyRequest
{
    /// <summary>The calling agent's role in the workflow (<c>responder</c>), or null when a person calls directly.</summary>
    public string? AgentRole { get; init; }

    /// <summary>The calling person's workflow roles (<c>owner</c>, <c>approver</c>...), used when <see cref="AgentRole"/> is null.</summary>
    public ReadOnlyMemory<string> PersonRoles { get; init; }

    /// <summary>
    /// Who the call is made for, outermost first (<c>user:maria</c>, then agents' client ids), as the token's nested
    /// <c>act</c> claims carry it. Recorded and explained; not matched by rules (see the remarks).
    /// </summary>
    public ReadOnlyMemory<string> ActorChain { get; init; }

    /// <summary>The action's name.</summary>
    public string Action { get; init; }

    /// <summary>The resource acted on (a case id), or null.</summary>
    public string? Resource { get; init; }

    /// <summary>The action's parameters, tested by conditions on the parameter's name.</summary>
    public ReadOnlyMemory<PolicyArgument> Parameters { get; init; }

    /// <summary>The case's attributes, tested by conditions on <c>case.NAME</c>.</summary>
    public ReadOnlyMemory<PolicyArgument> CaseAttributes { get; init; }

    /// <summary>The time of day in the workflow's time zone (tested by <c>time.hour</c>), or null when unknown.</summary>
    public TimeSpan? TimeOfDay { get; init; }

    /// <summary>Who calls, for explanations: <c>role:responder</c> or the person's roles.</summary>
    public string DescribeCaller()
    {
        if (AgentRole is not null)
        {
            return "role:" + AgentRole;
        }

        return PersonRoles.IsEmpty ? "a caller with no role" : string.Join(", ", PersonRoles.ToArray().Select(r => "role:" + r));
    }
}
