using System.Diagnostics.CodeAnalysis;

namespace Skybridge.Core.Access;

/// <summary>What a <see cref="Subject"/> names.</summary>
public enum SubjectKind
{
    /// <summary>One person: <c>user:NAME</c>.</summary>
    Person,

    /// <summary>A group of people: <c>group:NAME</c>.</summary>
    Group,

    /// <summary>Every agent of a role (an agent role of the manifest, or a workflow role): <c>role:NAME</c>.</summary>
    Role,

    /// <summary>One registered agent, named by its client id (<c>WORKFLOW/NAME</c>), written without a prefix.</summary>
    Agent,

    /// <summary>Any person (<c>user:*</c>), where a manifest allows it (<c>acts_for</c>).</summary>
    AnyPerson,
}

/// <summary>
/// Whom a token, a manifest entry or a grant is about: a person, a group, a role, an agent, or any person. This is the
/// only place the <c>user:</c>, <c>group:</c> and <c>role:</c> spellings are parsed and printed.
/// </summary>
/// <param name="Kind">What it names.</param>
/// <param name="Name">The name after the prefix (the client id for an agent; <c>*</c> for any person).</param>
public sealed record Subject(SubjectKind Kind, string Name)
{
    private const string PersonPrefix = "user:";
    private const string GroupPrefix = "group:";
    private const string RolePrefix = "role:";

    /// <summary>Any person, <c>user:*</c>.</summary>
    public static readonly Subject AnyPerson = new(SubjectKind.AnyPerson, "*");

    /// <summary>A person by user name.</summary>
    public static Subject Person(string userName) => new(SubjectKind.Person, userName);

    /// <summary>A group by name.</summary>
    public static Subject Group(string name) => new(SubjectKind.Group, name);

    /// <summary>A role by name.</summary>
    public static Subject Role(string name) => new(SubjectKind.Role, name);

    /// <summary>An agent by client id.</summary>
    public static Subject Agent(string clientId) => new(SubjectKind.Agent, clientId);

    /// <summary>True for one person.</summary>
    public bool IsPerson => Kind == SubjectKind.Person;

    /// <summary>True for one agent.</summary>
    public bool IsAgent => Kind == SubjectKind.Agent;

    /// <summary>The written form: <c>user:maria</c>, <c>group:leads</c>, <c>role:responder</c>, <c>user:*</c>, or the client id.</summary>
    public override string ToString() => Kind switch
    {
        SubjectKind.Person => PersonPrefix + Name,
        SubjectKind.Group => GroupPrefix + Name,
        SubjectKind.Role => RolePrefix + Name,
        SubjectKind.AnyPerson => PersonPrefix + "*",
        _ => Name,
    };

    /// <summary>
    /// Parses a prefixed subject as manifests write it: <c>user:NAME</c>, <c>user:*</c>, <c>group:NAME</c> or
    /// <c>role:NAME</c>, names of letters, digits, <c>.</c>, <c>_</c>, <c>-</c> and <c>@</c>. False for anything else
    /// (an agent's client id has no prefix: see <see cref="OfToken"/>).
    /// </summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out Subject? subject)
    {
        subject = null;
        if (text is null)
        {
            return false;
        }

        if (text == PersonPrefix + "*")
        {
            subject = AnyPerson;
            return true;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return false;
        }

        var name = text[(colon + 1)..];
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@'))
        {
            return false;
        }

        SubjectKind? kind = text[..(colon + 1)] switch
        {
            PersonPrefix => SubjectKind.Person,
            GroupPrefix => SubjectKind.Group,
            RolePrefix => SubjectKind.Role,
            _ => null,
        };
        subject = kind is { } k ? new Subject(k, name) : null;
        return subject is not null;
    }

    /// <summary>
    /// The subject of an access token's <c>sub</c> (or an actor's): <c>user:NAME</c> is a person, anything else is
    /// the client id of an agent. The token was signed by this server, so no name rules are applied here.
    /// </summary>
    public static Subject OfToken(string sub)
    {
        ArgumentNullException.ThrowIfNull(sub);
        return sub.StartsWith(PersonPrefix, StringComparison.Ordinal) && sub.Length > PersonPrefix.Length
            ? Person(sub[PersonPrefix.Length..])
            : Agent(sub);
    }
}
