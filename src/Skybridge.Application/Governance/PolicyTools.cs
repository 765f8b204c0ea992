using System.Globalization;
using System.Text;
using System.Text.Json;
using Skybridge.Core.Diagnostics;
using Skybridge.Core.Governance.Policy;
using Skybridge.Core.Manifests;
using Skybridge.Storage;

namespace Skybridge.Application.Governance;

/// <summary>A policy request read from a file, or the problems that kept it from being read.</summary>
public sealed record PolicyRequestFile
{
    /// <summary>The request; meaningful only when <see cref="IsValid"/>.</summary>
    public PolicyRequest Request { get; init; }

    /// <summary>Every problem, with file:line:column.</summary>
    public IReadOnlyList<Diagnostic> Diagnostics { get; init; } = [];

    /// <summary>True when the file could be read as a request.</summary>
    public bool IsValid => Diagnostics.Count == 0;
}

/// <summary>A manifest for the policy tools: the loaded model with its positions, and where it came from.</summary>
/// <param name="Load">The load result (manifest, diagnostics, source map).</param>
/// <param name="Name">What to call it in messages: the file name, or <c>WORKFLOW vN</c>.</param>
public sealed record PolicySource(ManifestLoadResult Load, string Name);

/// <summary>
/// What <c>skybridge policy test|lint</c> need from the application: the active manifest of a workflow, request files
/// read with exact positions, one decision explained, and the lint.
/// </summary>
public static class PolicyTools
{
    private static readonly string[] RequestKeys = ["action", "agent_role", "person_roles", "actor_chain", "resource", "parameters", "case", "time_of_day"];

    /// <summary>The active manifest of a workflow, with positions in its stored text; null when the workflow is unknown or nothing is active.</summary>
    public static async Task<PolicySource?> LoadActiveAsync(IWorkflowStore store, string workflowId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var workflow = await store.GetWorkflowAsync(workflowId, cancellationToken).ConfigureAwait(false);
        if (workflow?.ActiveVersion is not { } version)
        {
            return null;
        }

        var stored = await store.GetVersionAsync(workflowId, version, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return null;
        }

        // A published version was valid (evidence checked) when it was published; it is not judged again here.
        var name = $"{workflowId} v{version}";
        var load = ManifestLoader.Load(stored.Yaml, name, new ManifestValidationContext { EvidencedLevel = AutonomyLevel.L2ApproveConsequential });
        return new PolicySource(load, name);
    }

    /// <summary>Loads a manifest file's text for the policy tools (validated offline, as <c>manifest validate</c> does without a store).</summary>
    public static PolicySource LoadFile(string yaml, string fileName, Func<string, bool>? fileExists) =>
        new(ManifestLoader.Load(yaml, fileName, new ManifestValidationContext { FileExists = fileExists, EvidencedLevel = AutonomyLevel.L2ApproveConsequential }), fileName);

    /// <summary>The lint findings for a valid manifest.</summary>
    public static IReadOnlyList<Diagnostic> Lint(PolicySource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return source.Load.Manifest is { } manifest ? PolicyLint.Run(manifest, source.Load.SourceMap, source.Name) : [];
    }

    /// <summary>
    /// Reads a request file: <c>{"action", "agent_role" | "person_roles", "actor_chain", "resource", "parameters",
    /// "case", "time_of_day": "HH:MM"}</c>. Every problem is reported with its file:line:column.
    /// </summary>
    public static PolicyRequestFile ParseRequest(string json, string fileName)
    {
        ArgumentNullException.ThrowIfNull(json);
        var bytes = Encoding.UTF8.GetBytes(json);
        var problems = new List<Diagnostic>();
        SourceLocation At(long offset)
        {
            var before = bytes.AsSpan(0, (int)Math.Min(offset, bytes.Length));
            var line = before.Count((byte)'\n') + 1;
            var lineStart = before.LastIndexOf((byte)'\n') + 1;
            return new SourceLocation(fileName, line, Encoding.UTF8.GetCharCount(before[lineStart..]) + 1);
        }

        void Problem(string code, string message, long offset) => problems.Add(new Diagnostic(code, DiagnosticSeverity.Error, message, At(offset)));

        string? action = null, agentRole = null, resource = null;
        string[] personRoles = [], actorChain = [];
        var parameters = new List<PolicyArgument>();
        var caseAttributes = new List<PolicyArgument>();
        TimeSpan? timeOfDay = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                Problem(DiagnosticCodes.WrongType, "a policy request must be a JSON object", reader.TokenStartIndex);
                return new PolicyRequestFile { Diagnostics = problems };
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var key = reader.GetString()!;
                var keyAt = reader.TokenStartIndex;
                reader.Read();
                if (!RequestKeys.Contains(key))
                {
                    Problem(DiagnosticCodes.UnknownKey, $"unknown key '{key}' in the policy request (keys: {string.Join(", ", RequestKeys)})", keyAt);
                    reader.Skip();
                    continue;
                }

                if (!seen.Add(key))
                {
                    Problem(DiagnosticCodes.DuplicateKey, $"duplicate key '{key}' in the policy request", keyAt);
                    reader.Skip();
                    continue;
                }

                switch (key)
                {
                    case "action": action = Text(ref reader, key); break;
                    case "agent_role": agentRole = Text(ref reader, key); break;
                    case "resource": resource = Text(ref reader, key); break;
                    case "person_roles": personRoles = Texts(ref reader, key); break;
                    case "actor_chain": actorChain = Texts(ref reader, key); break;
                    case "parameters": Arguments(ref reader, key, parameters); break;
                    case "case": Arguments(ref reader, key, caseAttributes); break;
                    default:
                        var at = reader.TokenStartIndex;
                        if (Text(ref reader, key) is { } time)
                        {
                            if (TimeSpan.TryParseExact(time, @"hh\:mm", CultureInfo.InvariantCulture, out var t))
                            {
                                timeOfDay = t;
                            }
                            else
                            {
                                Problem(DiagnosticCodes.MalformedValue, $"time_of_day '{time}' is not a time of day; write HH:MM, like 14:30", at);
                            }
                        }

                        break;
                }
            }
        }
        catch (JsonException ex)
        {
            // Utf8JsonReader counts lines and bytes from 0; editors count from 1.
            problems.Add(new Diagnostic(DiagnosticCodes.YamlSyntax, DiagnosticSeverity.Error, $"JSON syntax error: {ex.Message.Split(" LineNumber", 2)[0]}", new SourceLocation(fileName, (int)(ex.LineNumber ?? 0) + 1, (int)(ex.BytePositionInLine ?? 0) + 1)));
            return new PolicyRequestFile { Diagnostics = problems };
        }

        if (action is null && !seen.Contains("action"))
        {
            Problem(DiagnosticCodes.MissingKey, "missing required key 'action' in the policy request", 0);
        }

        if (!seen.Contains("agent_role") && !seen.Contains("person_roles"))
        {
            Problem(DiagnosticCodes.MissingKey, "the policy request names no caller: give 'agent_role' (an agent calls) or 'person_roles' (a person calls)", 0);
        }

        return new PolicyRequestFile
        {
            Diagnostics = problems,
            Request = new PolicyRequest
            {
                Action = action ?? string.Empty,
                AgentRole = agentRole,
                PersonRoles = personRoles,
                ActorChain = actorChain,
                Resource = resource,
                Parameters = parameters.ToArray(),
                CaseAttributes = caseAttributes.ToArray(),
                TimeOfDay = timeOfDay,
            },
        };

        string? Text(ref Utf8JsonReader reader, string key)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                return reader.GetString();
            }

            Problem(DiagnosticCodes.WrongType, $"'{key}' must be text, not {Describe(reader.TokenType)}", reader.TokenStartIndex);
            reader.Skip();
            return null;
        }

        string[] Texts(ref Utf8JsonReader reader, string key)
        {
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                Problem(DiagnosticCodes.WrongType, $"'{key}' must be a list of text, not {Describe(reader.TokenType)}", reader.TokenStartIndex);
                reader.Skip();
                return [];
            }

            var list = new List<string>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (Text(ref reader, key + " entry") is { } item)
                {
                    list.Add(item);
                }
            }

            return [.. list];
        }

        void Arguments(ref Utf8JsonReader reader, string key, List<PolicyArgument> into)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                Problem(DiagnosticCodes.WrongType, $"'{key}' must be an object of names and values, not {Describe(reader.TokenType)}", reader.TokenStartIndex);
                reader.Skip();
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                switch (reader.TokenType)
                {
                    case JsonTokenType.String: into.Add(PolicyArgument.Of(name, reader.GetString()!)); break;
                    case JsonTokenType.Number: into.Add(PolicyArgument.Of(name, reader.GetDouble())); break;
                    case JsonTokenType.True: into.Add(PolicyArgument.Of(name, true)); break;
                    case JsonTokenType.False: into.Add(PolicyArgument.Of(name, false)); break;
                    default:
                        Problem(DiagnosticCodes.WrongType, $"'{name}' in '{key}' must be text, a number or true/false, not {Describe(reader.TokenType)}", reader.TokenStartIndex);
                        reader.Skip();
                        break;
                }
            }
        }
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "a list",
        JsonTokenType.String => "text",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "true/false",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };
}
