using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Skybridge.Core.Manifests;

namespace Skybridge.Core.Governance.Actions;

/// <summary>One thing wrong with a proposal's parameters, with a stable code and the parameter it is about.</summary>
/// <param name="Code">Stable code (see <see cref="ActionSchemaCodes"/>).</param>
/// <param name="Parameter">The parameter's name, or null for the whole object.</param>
/// <param name="Message">What is wrong and what the manifest allows.</param>
public sealed record ParameterProblem(string Code, string? Parameter, string Message);

/// <summary>The stable codes of <see cref="ActionSchema"/>.</summary>
public static class ActionSchemaCodes
{
    /// <summary>The parameters are not a JSON object.</summary>
    public const string NotAnObject = "parameters_not_object";

    /// <summary>A parameter the action does not declare.</summary>
    public const string Unknown = "parameter_unknown";

    /// <summary>A required parameter is missing (or null).</summary>
    public const string Missing = "parameter_missing";

    /// <summary>The value has the wrong JSON type for the declared one.</summary>
    public const string WrongType = "parameter_wrong_type";

    /// <summary>A number below the declared minimum or above the maximum.</summary>
    public const string OutOfRange = "parameter_out_of_range";

    /// <summary>A string that does not match the declared pattern.</summary>
    public const string NoMatch = "parameter_pattern_mismatch";

    /// <summary>A value not in the declared list.</summary>
    public const string NotAllowed = "parameter_not_allowed";

    /// <summary>A string longer than any action parameter may be.</summary>
    public const string TooLong = "parameter_too_long";
}

/// <summary>
/// Checks a proposal's parameters against the action's schema in the manifest, before policy sees them: every problem
/// at once, each with its parameter and a stable code. Pure: no I/O, no clock. Patterns are compiled once per
/// definition and run with a timeout, so a proposal cannot make a pattern backtrack for long.
/// </summary>
public static class ActionSchema
{
    /// <summary>Longest string value accepted for any parameter (a reply body, not a document).</summary>
    public const int MaxStringLength = 20_000;

    private static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(50);
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ActionParameter, Regex> Patterns = new();

    /// <summary>Every problem with <paramref name="parameters"/> for <paramref name="action"/>; empty when they fit.</summary>
    public static IReadOnlyList<ParameterProblem> Validate(ActionDefinition action, JsonNode? parameters)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (parameters is not JsonObject given)
        {
            return [new ParameterProblem(ActionSchemaCodes.NotAnObject, null, $"The parameters of '{action.Name}' must be a JSON object.")];
        }

        var problems = new List<ParameterProblem>();
        foreach (var (name, _) in given)
        {
            if (action.FindParameter(name) is null)
            {
                var known = action.Parameters.Count == 0 ? "none" : string.Join(", ", action.Parameters.Select(p => p.Name));
                problems.Add(new(ActionSchemaCodes.Unknown, name, $"'{action.Name}' has no parameter '{name}' (it has: {known})."));
            }
        }

        foreach (var declared in action.Parameters)
        {
            var value = given[declared.Name];
            if (value is null)
            {
                if (declared.Required)
                {
                    problems.Add(new(ActionSchemaCodes.Missing, declared.Name, $"'{declared.Name}' is required."));
                }

                continue;
            }

            if (Check(declared, value) is { } problem)
            {
                problems.Add(problem);
            }
        }

        return problems;
    }

    private static ParameterProblem? Check(ActionParameter p, JsonNode value)
    {
        var kind = value.GetValueKind();
        switch (p.Type)
        {
            case ParameterType.String:
                if (kind != JsonValueKind.String)
                {
                    return WrongType(p, "a string");
                }

                var text = value.GetValue<string>();
                if (text.Length > MaxStringLength)
                {
                    return new(ActionSchemaCodes.TooLong, p.Name, $"'{p.Name}' is longer than {MaxStringLength} characters.");
                }

                if (p.Pattern is { } pattern && !Matches(p, text))
                {
                    return new(ActionSchemaCodes.NoMatch, p.Name, $"'{p.Name}' does not match {pattern}.");
                }

                return Allowed(p, text);
            case ParameterType.Boolean:
                return kind is JsonValueKind.True or JsonValueKind.False ? Allowed(p, kind == JsonValueKind.True ? "true" : "false") : WrongType(p, "true or false");
            case ParameterType.Number or ParameterType.Integer:
                if (kind != JsonValueKind.Number || !TryGetNumber(value, out var number) || !double.IsFinite(number))
                {
                    return WrongType(p, p.Type == ParameterType.Integer ? "a whole number" : "a number");
                }

                if (p.Type == ParameterType.Integer && number != Math.Floor(number))
                {
                    return WrongType(p, "a whole number");
                }

                if ((p.Minimum is { } min && number < min) || (p.Maximum is { } max && number > max))
                {
                    return new(ActionSchemaCodes.OutOfRange, p.Name,
                        $"'{p.Name}' is {Format(number)}; allowed: {(p.Minimum is { } lo ? Format(lo) : "-inf")} to {(p.Maximum is { } hi ? Format(hi) : "+inf")}.");
                }

                return Allowed(p, Format(number));
            default:
                return WrongType(p, p.Type.ToString());
        }
    }

    /// <summary>
    /// A JSON number as a double, whether the node was parsed from text or built in code (a node built from an
    /// <c>int</c> or a <c>decimal</c> does not convert to <c>double</c> by itself).
    /// </summary>
    public static bool TryGetNumber(JsonNode? value, out double number)
    {
        number = 0;
        return value is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            && (v.TryGetValue(out number) || double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out number));
    }

    private static ParameterProblem WrongType(ActionParameter p, string expected) =>
        new(ActionSchemaCodes.WrongType, p.Name, $"'{p.Name}' must be {expected}.");

    private static ParameterProblem? Allowed(ActionParameter p, string value) =>
        p.AllowedValues is { Count: > 0 } allowed && !allowed.Contains(value, StringComparer.Ordinal)
            ? new(ActionSchemaCodes.NotAllowed, p.Name, $"'{p.Name}' must be one of: {string.Join(", ", allowed)}.")
            : null;

    private static bool Matches(ActionParameter p, string text)
    {
        var regex = Patterns.GetValue(p, d => Compile(d.Pattern!));
        try
        {
            return regex.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            return false; // a value that makes the pattern work this hard is not one it was written for
        }
    }

    /// <summary>
    /// Patterns run on the non-backtracking engine: linear in the value's length, so no value can make one work hard and
    /// no timeout is needed. A timeout is wall-clock time: on a busy node it fired on valid values and refused them as
    /// not matching. Only a pattern that engine cannot run (backreferences, lookarounds) falls back to backtracking with
    /// the timeout.
    /// </summary>
    private static Regex Compile(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
        }
        catch (NotSupportedException)
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, PatternTimeout);
        }
    }

    private static string Format(double number) => number.ToString("R", CultureInfo.InvariantCulture);
}
