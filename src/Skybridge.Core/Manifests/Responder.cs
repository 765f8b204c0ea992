using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Skybridge.Core.Manifests;

/// <summary>
/// The built-in responder: after a case is drafted, the workflow proposes one action itself through the action path
/// (policy, ladder, budgets, approvals and the ledger apply as to any agent's proposal): <see cref="OnAnswer"/> when
/// the draft answers, <see cref="OnAbstain"/> when it abstains. Without this section a case proposes nothing.
/// </summary>
public sealed record ResponderSettings
{
    /// <summary>The agent role the proposal is made in (what policy rules name); a declared agent role.</summary>
    public string Role { get; init; } = "responder";

    /// <summary>What to propose when the draft answers, or null for nothing.</summary>
    public ResponderStep? OnAnswer { get; init; }

    /// <summary>What to propose when the draft abstains, or null for nothing.</summary>
    public ResponderStep? OnAbstain { get; init; }
}

/// <summary>One proposal of the responder: an action and how each of its parameters is filled.</summary>
public sealed record ResponderStep
{
    /// <summary>The action's name in the manifest.</summary>
    public required string Action { get; init; }

    /// <summary>Each parameter's template: literal text, or text with placeholders such as <c>{case.ticket_id}</c>.</summary>
    public required IReadOnlyList<ResponderParameter> Parameters { get; init; }
}

/// <summary>A parameter of a responder step: its name and its template as written.</summary>
public sealed record ResponderParameter(string Name, string Template);

/// <summary>
/// Placeholders of responder templates and how a template becomes a parameter value. Pure: the values come from the
/// caller (the case's attributes and its draft).
/// </summary>
public static partial class ResponderTemplates
{
    /// <summary>The draft's answer text (an answering draft only).</summary>
    public const string DraftAnswer = "draft.answer";

    /// <summary>Why the draft abstained, as its stable reason code (an abstaining draft only).</summary>
    public const string DraftReason = "draft.reason";

    /// <summary>Prefix of a case attribute, e.g. <c>case.ticket_id</c>.</summary>
    public const string CasePrefix = "case.";

    /// <summary>What a case attribute's name looks like (the same rule applies where cases are submitted).</summary>
    public static bool IsAttributeName(string name) => AttributeName().IsMatch(name);

    /// <summary>The placeholders in <paramref name="template"/>, in order, without braces.</summary>
    public static IEnumerable<string> Placeholders(string template) =>
        Placeholder().Matches(template ?? string.Empty).Select(m => m.Groups[1].Value);

    /// <summary>
    /// Why <paramref name="placeholder"/> cannot be used in a step (null when it can): an unknown name, or a draft
    /// value the step never has (an abstention has no answer; an answer has no abstention reason).
    /// </summary>
    public static string? Problem(string placeholder, bool onAbstain)
    {
        ArgumentNullException.ThrowIfNull(placeholder);
        if (placeholder.StartsWith(CasePrefix, StringComparison.Ordinal))
        {
            return IsAttributeName(placeholder[CasePrefix.Length..]) ? null : "is not a case attribute name (lower-case letters, digits and '_', 1-40 characters)";
        }

        return placeholder switch
        {
            DraftAnswer when onAbstain => "is empty when the draft abstains (on_abstain has no answer)",
            DraftReason when !onAbstain => "is only set when the draft abstains (on_abstain)",
            DraftAnswer or DraftReason => null,
            _ => "is not known",
        };
    }

    /// <summary>
    /// The step's parameters, each filled for <paramref name="action"/>: placeholders replaced by
    /// <paramref name="values"/> (null for a value the case does not have, listed in <paramref name="missing"/>), text
    /// without placeholders turned into the parameter's type (a number, true/false) where it parses as one.
    /// </summary>
    public static JsonObject Fill(ResponderStep step, ActionDefinition action, Func<string, string?> values, out IReadOnlyList<string> missing)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(values);
        var absent = new List<string>();
        var result = new JsonObject();
        foreach (var parameter in step.Parameters)
        {
            if (!Placeholder().IsMatch(parameter.Template))
            {
                result[parameter.Name] = Literal(action.FindParameter(parameter.Name), parameter.Template);
                continue;
            }

            var filled = new StringBuilder();
            var last = 0;
            foreach (Match m in Placeholder().Matches(parameter.Template))
            {
                filled.Append(parameter.Template, last, m.Index - last);
                var value = values(m.Groups[1].Value);
                if (value is null)
                {
                    absent.Add(m.Groups[1].Value);
                }

                filled.Append(value);
                last = m.Index + m.Length;
            }

            filled.Append(parameter.Template, last, parameter.Template.Length - last);
            result[parameter.Name] = filled.ToString();
        }

        missing = absent.Distinct(StringComparer.Ordinal).ToList();
        return result;
    }

    /// <summary>Literal text as the parameter's JSON type when it parses as one; otherwise the text (the schema says why not).</summary>
    public static JsonNode? Literal(ActionParameter? parameter, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return parameter?.Type switch
        {
            ParameterType.Number or ParameterType.Integer when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n) => JsonValue.Create(n),
            ParameterType.Boolean when text is "true" or "false" => JsonValue.Create(text == "true"),
            _ => JsonValue.Create(text),
        };
    }

    [GeneratedRegex(@"\{([^{}]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^[a-z][a-z0-9_]{0,39}$", RegexOptions.CultureInvariant)]
    private static partial Regex AttributeName();
}
