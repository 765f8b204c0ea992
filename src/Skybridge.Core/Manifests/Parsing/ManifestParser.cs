using System.Text.RegularExpressions;
using Skybridge.Core.Diagnostics;

namespace Skybridge.Core.Manifests.Parsing;

/// <summary>
/// Maps the YAML tree onto the model, section by section, reporting every structural and value problem with its
/// position. Missing values become placeholders so later sections and the cross-checks still run; the placeholder
/// model never leaves the loader when there is an error.
/// </summary>
internal sealed partial class ManifestParser(DiagnosticBag bag, ManifestValidationContext context)
{
    private static readonly string[] RootKeys =
    [
        "id", "name", "description", "owner", "authorities", "agents", "sources", "model", "prompts", "retrieval",
        "connectors", "actions", "policy", "autonomy", "acceptance_bar", "golden_set", "assumptions", "dependencies", "budgets", "responder", "webhooks",
    ];

    private static readonly string[] AuthorityKeys = ["approve", "review", "monitor", "recalibrate", "halt", "sign_gates"];
    private static readonly string[] AgentKeys = ["role", "description", "scopes", "acts_for"];
    private static readonly string[] SourceKeys = ["name", "path", "formats", "classification"];
    private static readonly string[] ModelKeys = ["provider", "endpoint", "model", "trains_on_data", "redact", "redact_patterns"];
    private static readonly string[] PromptKeys = ["system", "answer"];
    private static readonly string[] RetrievalKeys = ["top_k", "min_score", "abstain_below", "agreed_meaning_at", "meaning_far_below", "claim_far_below", "key_terms_missing_at", "mentioned_below", "embedding"];
    private static readonly string[] EmbeddingKeys = ["provider", "endpoint", "model", "dimensions", "trains_on_data"];
    private static readonly string[] ConnectorKeys = ["name", "type", "endpoint", "command", "description"];
    private static readonly string[] ActionKeys = ["name", "description", "connector", "consequence", "scope", "parameters"];
    private static readonly string[] ParameterKeys = ["type", "required", "minimum", "maximum", "pattern", "enum"];
    private static readonly string[] PolicyKeys = ["rules"];
    private static readonly string[] RuleKeys = ["id", "description", "effect", "principals", "actions", "when", "approval", "approvers", "mode"];
    private static readonly string[] AutonomyKeys = ["level", "review_sample_rate"];
    private static readonly string[] CriterionKeys = ["metric", "min", "max", "tag", "confidence", "min_cases"];
    private static readonly string[] GoldenSetKeys = ["path", "sha256"];
    private static readonly string[] AssumptionKeys = ["id", "description", "metric", "min", "max", "check_every", "escalate_to"];
    private static readonly string[] DependencyKeys = ["name", "description", "contact", "notify_on"];
    private static readonly string[] SourceFormats = ["markdown", "html", "text", "pdf"];
    private static readonly string[] RedactionKinds = ["email", "phone", "card_number", "iban", "ip_address", "national_id"];

    private static readonly Dictionary<string, DataClassification> Classifications = new()
    {
        ["public"] = DataClassification.Public, ["internal"] = DataClassification.Internal,
        ["confidential"] = DataClassification.Confidential, ["restricted"] = DataClassification.Restricted,
    };

    private static readonly Dictionary<string, ModelProvider> Providers = new()
    {
        ["builtin-extractive"] = ModelProvider.BuiltinExtractive, ["openai-compatible"] = ModelProvider.OpenAICompatible,
    };

    private static readonly Dictionary<string, EmbeddingProvider> EmbeddingProviders = new()
    {
        ["builtin"] = EmbeddingProvider.Builtin, ["none"] = EmbeddingProvider.None, ["openai-compatible"] = EmbeddingProvider.OpenAICompatible,
    };

    private static readonly Dictionary<string, ConnectorType> ConnectorTypes = new()
    {
        ["http"] = ConnectorType.Http, ["mcp"] = ConnectorType.Mcp,
    };

    private static readonly Dictionary<string, ActionConsequence> Consequences = new()
    {
        ["routine"] = ActionConsequence.Routine, ["consequential"] = ActionConsequence.Consequential,
        ["prohibited"] = ActionConsequence.Prohibited,
    };

    private static readonly Dictionary<string, ParameterType> ParameterTypes = new()
    {
        ["string"] = ParameterType.String, ["number"] = ParameterType.Number,
        ["integer"] = ParameterType.Integer, ["boolean"] = ParameterType.Boolean,
    };

    private static readonly Dictionary<string, PolicyEffect> Effects = new()
    {
        ["permit"] = PolicyEffect.Permit, ["forbid"] = PolicyEffect.Forbid,
    };

    private static readonly Dictionary<string, ApprovalRequirement> Approvals = new()
    {
        ["none"] = ApprovalRequirement.None, ["required"] = ApprovalRequirement.Required,
    };

    private static readonly Dictionary<string, PolicyRuleMode> RuleModes = new()
    {
        ["enforce"] = PolicyRuleMode.Enforce, ["log_only"] = PolicyRuleMode.LogOnly,
    };

    private static readonly Dictionary<string, ConditionOperator> Operators = new()
    {
        ["eq"] = ConditionOperator.Eq, ["ne"] = ConditionOperator.Ne, ["lt"] = ConditionOperator.Lt,
        ["lte"] = ConditionOperator.Lte, ["gt"] = ConditionOperator.Gt, ["gte"] = ConditionOperator.Gte,
        ["in"] = ConditionOperator.In,
    };

    private static readonly Dictionary<string, WorkflowEvent> Events = new()
    {
        ["publish"] = WorkflowEvent.Publish, ["activate"] = WorkflowEvent.Activate, ["rollback"] = WorkflowEvent.Rollback,
        ["halt"] = WorkflowEvent.Halt, ["resume"] = WorkflowEvent.Resume, ["promote"] = WorkflowEvent.Promote,
    };

    /// <summary>Most distinct approvers a rule may ask for; more would never gather in practice.</summary>
    private const int MaxApprovers = 5;

    private readonly ScalarReaders read = new(bag);

    // Positions for tools that work on the model after loading (skybridge policy lint).
    private readonly List<PolicyRuleSource> policySources = [];
    private readonly Dictionary<string, SourceLocation> actionSources = new(StringComparer.Ordinal);

    /// <summary>Where the policy rules and actions are, for diagnostics raised after loading.</summary>
    public ManifestSourceMap SourceMap => new() { Rules = policySources, Actions = actionSources, GoldenSet = goldenSetSource };

    private GoldenSetSource? goldenSetSource;

    private SourceLocation Loc(YNode node) => bag.At(node.Line, node.Column);

    // Positions kept for the cross-checks, which run on the model but must still point at the right line.
    private readonly List<(string Kind, string Name, YNode Node)> names = [];
    private readonly List<(ActionDefinition Action, YNode Item, YNode? Connector)> actionNodes = [];
    private readonly List<(PolicyRule Rule, YNode Item, List<YScalar> Principals, List<YScalar> Actions, List<(PolicyCondition Condition, YScalar Field, YNode Value)> When, YNode? Approval)> ruleNodes = [];
    private readonly List<(string Action, YScalar Key)> approveKeys = [];
    private readonly List<YScalar> actsForNodes = [];
    private YScalar? levelNode;

    public WorkflowManifest? Parse(YNode? root)
    {
        if (root is null || root is YScalar { IsNull: true })
        {
            bag.Add(DiagnosticCodes.MissingKey, DiagnosticSeverity.Error, "the manifest is empty; it needs at least id, name, owner, authorities, model and autonomy", bag.At(1, 1));
            return null;
        }

        var map = read.AsMapping(root, "the manifest", "the manifest", RootKeys);
        if (map is null)
        {
            return null;
        }

        var id = read.Scalar(map, "id", required: true);
        if (id is not null && !SlugPattern().IsMatch(id.Value))
        {
            bag.Error(DiagnosticCodes.MalformedValue, $"id '{id.Value}' must be a lower-case slug of 2 to 63 letters, digits and '-' (like support-desk)", id);
        }

        var ownerNode = read.Scalar(map, "owner", required: true);
        var owner = ownerNode is null ? null : read.ParsePrincipal(ownerNode, "'owner'");
        var acceptanceBar = ParseList(map, "acceptance_bar", "acceptance criterion", CriterionKeys, ParseCriterion);
        var goldenSet = ParseGoldenSet(map);
        var manifest = new WorkflowManifest
        {
            Id = id?.Value ?? string.Empty,
            Name = read.String(map, "name", required: true) ?? string.Empty,
            Description = read.String(map, "description", required: false),
            Owner = owner ?? new Principal(PrincipalKind.User, string.Empty),
            Authorities = ParseAuthorities(map),
            Agents = ParseList(map, "agents", "agent", AgentKeys, ParseAgent),
            Sources = ParseList(map, "sources", "source", SourceKeys, ParseSource),
            Model = ParseModel(map),
            Prompts = ParsePrompts(map),
            Retrieval = ParseRetrieval(map),
            Connectors = ParseList(map, "connectors", "connector", ConnectorKeys, ParseConnector),
            Actions = ParseList(map, "actions", "action", ActionKeys, ParseAction),
            Budgets = ParseList(map, "budgets", "budget", BudgetKeys, ParseBudget),
            Responder = ParseResponder(map),
            Policy = ParsePolicy(map),
            Autonomy = ParseAutonomy(map),
            AcceptanceBar = acceptanceBar,
            GoldenSet = goldenSet.Path,
            GoldenSetSha256 = goldenSet.Sha256,
            Assumptions = ParseList(map, "assumptions", "assumption", AssumptionKeys, ParseAssumption),
            Dependencies = ParseList(map, "dependencies", "dependency", DependencyKeys, ParseDependency),
            Webhooks = ParseList(map, "webhooks", "webhook", WebhookKeys, ParseWebhook),
        };

        new ManifestCrossChecks(bag, context, manifest, map).Run(names, actionNodes, ruleNodes, approveKeys, actsForNodes, levelNode);
        CheckBudgets(manifest);
        CheckResponder(manifest);
        return manifest;
    }

    /// <summary>Reads a list of mappings; an item's label uses its name when it has one ("action 'refund'").</summary>
    private List<T> ParseList<T>(MapReader map, string key, string label, string[] keys, Func<MapReader, T?> parseItem)
        where T : class
    {
        var result = new List<T>();
        var items = read.Sequence(map, key, required: false) ?? [];
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var nameKey = keys[0];
            var name = item is YMapping m ? m.Entries.FirstOrDefault(e => e.Key is YScalar { Value: var k } && k == nameKey).Value as YScalar : null;
            var where = name is { IsNull: false } ? $"{label} '{name.Value}'" : $"{label} #{i + 1}";
            var reader = read.AsMapping(item, $"{label} #{i + 1}", where, keys);
            if (reader is not null && parseItem(reader) is { } parsed)
            {
                result.Add(parsed);
            }
        }

        return result;
    }

    private string RequiredName(MapReader map, string key, string kind)
    {
        var scalar = read.Scalar(map, key, required: true);
        if (scalar is null)
        {
            return string.Empty;
        }

        names.Add((kind, scalar.Value, scalar));
        return scalar.Value;
    }

    private DecisionAuthorities ParseAuthorities(MapReader root)
    {
        var map = read.Mapping(root, "authorities", required: true, "authorities", AuthorityKeys);
        if (map is null)
        {
            return new DecisionAuthorities();
        }

        var approve = new Dictionary<string, IReadOnlyList<Principal>>(StringComparer.Ordinal);
        if (read.Mapping(map, "approve", required: false, "authorities.approve", allowedKeys: null) is { } approveMap)
        {
            foreach (var (key, _) in approveMap.Entries)
            {
                approveKeys.Add((key.Value, key));
                approve[key.Value] = read.Principals(approveMap, key.Value, required: true) ?? [];
            }
        }

        IReadOnlyList<Principal> Authority(string key)
        {
            var node = map[key];
            if (node is null)
            {
                bag.Error(DiagnosticCodes.MissingDecisionAuthority, $"authorities has no '{key}': name who may {Verb(key)}", map.Node);
            }
            else if (node is YSequence { Items.Count: 0 } or YScalar { IsNull: true })
            {
                bag.Error(DiagnosticCodes.MissingDecisionAuthority, $"authorities '{key}' is empty: name who may {Verb(key)}", map.KeyNode(key)!);
                return [];
            }

            return read.Principals(map, key, required: false) ?? [];
        }

        return new DecisionAuthorities
        {
            Approve = approve,
            Review = Authority("review"),
            Monitor = Authority("monitor"),
            Recalibrate = Authority("recalibrate"),
            Halt = Authority("halt"),
            SignGates = Authority("sign_gates"),
        };
    }

    private static string Verb(string authority) => authority switch
    {
        "review" => "review sampled outputs",
        "monitor" => "monitor the workflow",
        "recalibrate" => "recalibrate thresholds and prompts",
        "halt" => "halt the workflow",
        _ => "sign promotion gates",
    };

    private AgentRole? ParseAgent(MapReader map)
    {
        var actsFor = read.ScalarList(map, "acts_for", required: false) ?? [];
        actsForNodes.AddRange(actsFor);
        var scopes = read.ScalarList(map, "scopes", required: false) ?? [];
        foreach (var scope in scopes.Where(s => !ScopePattern().IsMatch(s.Value)))
        {
            bag.Error(DiagnosticCodes.MalformedValue, $"scope '{scope.Value}' in {map.Where} must be resource:verb (like cases:write)", scope);
        }

        return new AgentRole
        {
            Role = RequiredName(map, "role", "agent role"),
            Description = read.String(map, "description", required: false),
            Scopes = [.. scopes.Select(s => s.Value)],
            ActsFor = [.. actsFor.Select(s => s.Value)],
        };
    }

    private DataSource? ParseSource(MapReader map)
    {
        var path = read.Scalar(map, "path", required: true);
        if (path is not null)
        {
            CheckRelativePath(path, $"path of {map.Where}");
        }

        var name = RequiredName(map, "name", "source");
        if (path is not null && !bag.HasErrorAt(path) && context.FolderExists is { } exists && !exists(path.Value))
        {
            bag.Error(DiagnosticCodes.SourceFolderNotFound,
                $"source '{name}' reads from the folder '{path.Value}', which does not exist next to the manifest: nothing would be retrieved from it; create or install it (a sample's setup script does), or fix the path",
                path);
        }

        return new DataSource
        {
            Name = name,
            Path = path?.Value ?? string.Empty,
            Formats = CheckedNames(map, "formats", SourceFormats, "format"),
            Classification = read.Enum(map, "classification", required: true, Classifications) ?? DataClassification.Restricted,
        };
    }

    private List<string> CheckedNames(MapReader map, string key, string[] valid, string what)
    {
        var result = new List<string>();
        var names = valid.ToDictionary(v => v, v => 0, StringComparer.Ordinal);
        foreach (var item in read.ScalarList(map, key, required: false) ?? [])
        {
            if (read.EnumValue(item, $"{what} in {map.Where}", names) is not null)
            {
                result.Add(item.Value);
            }
        }

        return result;
    }

    private void CheckRelativePath(YScalar path, string what)
    {
        var text = path.Value;
        var segments = text.Split('/', '\\');
        if (text.StartsWith('/') || text.StartsWith('\\') || Path.IsPathRooted(text) || (text.Length > 1 && text[1] == ':') || segments.Contains(".."))
        {
            bag.Error(DiagnosticCodes.PathOutsideManifestFolder, $"{what} '{text}' leaves the manifest's folder; use a relative path without '..'", path);
        }
    }

    private ModelSettings ParseModel(MapReader root)
    {
        var map = read.Mapping(root, "model", required: true, "model", ModelKeys);
        if (map is null)
        {
            return new ModelSettings { Provider = ModelProvider.BuiltinExtractive };
        }

        var provider = read.Enum(map, "provider", required: true, Providers);
        var remote = provider == ModelProvider.OpenAICompatible;
        var endpointNode = read.Scalar(map, "endpoint", required: remote);
        var modelName = read.Scalar(map, "model", required: remote);
        var trains = read.Boolean(map, "trains_on_data", required: true);
        if (trains == true)
        {
            bag.Error(DiagnosticCodes.TrainsOnData, "trains_on_data: true is refused: nothing may train someone else's model; choose a provider that does not train on your data", map["trains_on_data"]!);
        }

        Uri? endpoint = null;
        if (provider == ModelProvider.BuiltinExtractive)
        {
            foreach (var ignored in new[] { endpointNode, modelName }.OfType<YScalar>())
            {
                bag.Warning(DiagnosticCodes.ModelSettingIgnored, "builtin-extractive runs inside the server; 'endpoint' and 'model' are ignored", ignored);
            }
        }
        else if (endpointNode is not null)
        {
            endpoint = RemoteEndpoint(endpointNode, "model endpoint", "prompts would cross the network unencrypted");
        }

        var redact = CheckedNames(map, "redact", RedactionKinds, "redaction kind");
        var patterns = new Dictionary<string, string>(StringComparer.Ordinal);
        if (read.Mapping(map, "redact_patterns", required: false, "model.redact_patterns", allowedKeys: null) is { } patternMap)
        {
            foreach (var (key, _) in patternMap.Entries)
            {
                if (read.Scalar(patternMap, key.Value, required: true) is not { } pattern)
                {
                    continue;
                }

                try
                {
                    _ = new System.Text.RegularExpressions.Regex(pattern.Value, System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
                    patterns[key.Value] = pattern.Value;
                }
                catch (ArgumentException ex)
                {
                    bag.Error(DiagnosticCodes.InvalidRedactionPattern, $"redaction pattern '{key.Value}' is not a valid regular expression: {ex.Message}", pattern);
                }
            }
        }

        if (redact.Contains("national_id") && !patterns.ContainsKey("national_id") && map.KeyNode("redact") is { } redactKey)
        {
            bag.Error(DiagnosticCodes.InvalidRedactionPattern, "national_id needs its pattern (national ids differ by country): add redact_patterns: { national_id: \"...\" }", redactKey);
        }

        return new ModelSettings
        {
            Provider = provider ?? ModelProvider.BuiltinExtractive,
            Endpoint = endpoint,
            Model = remote ? modelName?.Value : null,
            TrainsOnData = trains ?? false,
            Redact = redact,
            RedactPatterns = patterns,
        };
    }

    // A model endpoint that data is sent to (the answer model's, the embedding model's): https unless it is this
    // machine, and on the installation's allowed list when it has one.
    private Uri? RemoteEndpoint(YScalar node, string what, string crossing)
    {
        if (ParseUrl(node, what) is not { } endpoint)
        {
            return null;
        }

        if (endpoint.Scheme == Uri.UriSchemeHttp && !endpoint.IsLoopback)
        {
            bag.Error(DiagnosticCodes.UnencryptedModelEndpoint, $"{what} '{node.Value}' uses plain http; {crossing}; use https", node);
        }

        if (context.AllowedModelEndpoints is { } allowed && !allowed.Any(a => SameEndpoint(a, node.Value)))
        {
            bag.Error(DiagnosticCodes.ModelEndpointNotAllowed, $"{what} '{node.Value}' is not on this installation's allowed list ({string.Join(", ", allowed)})", node);
        }

        return endpoint;
    }

    private static bool SameEndpoint(string a, string b) =>
        string.Equals(a.TrimEnd('/'), b.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    private Uri? ParseUrl(YScalar scalar, string what)
    {
        if (Uri.TryCreate(scalar.Value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
        {
            return uri;
        }

        bag.Error(DiagnosticCodes.MalformedValue, $"{what} '{scalar.Value}' is not an http(s) URL", scalar);
        return null;
    }

    private PromptSettings? ParsePrompts(MapReader root)
    {
        var map = read.Mapping(root, "prompts", required: false, "prompts", PromptKeys);
        return map is null
            ? null
            : new PromptSettings
            {
                System = read.String(map, "system", required: true) ?? string.Empty,
                Answer = read.String(map, "answer", required: false),
            };
    }

    private RetrievalSettings ParseRetrieval(MapReader root)
    {
        var map = read.Mapping(root, "retrieval", required: false, "retrieval", RetrievalKeys);
        var defaults = new RetrievalSettings();
        return map is null
            ? defaults
            : new RetrievalSettings
            {
                TopK = read.Integer(map, "top_k", required: false, 1, 50) ?? defaults.TopK,
                MinScore = read.Number(map, "min_score", required: false, min: 0) ?? defaults.MinScore,
                AbstainBelow = read.Number(map, "abstain_below", required: false, 0, 1) ?? defaults.AbstainBelow,
                AgreedMeaningAt = read.Number(map, "agreed_meaning_at", required: false, 0, 1) ?? defaults.AgreedMeaningAt,
                MeaningFarBelow = read.Number(map, "meaning_far_below", required: false, 0, 1) ?? defaults.MeaningFarBelow,
                ClaimFarBelow = read.Number(map, "claim_far_below", required: false, 0, 1) ?? defaults.ClaimFarBelow,
                KeyTermsMissingAt = read.Number(map, "key_terms_missing_at", required: false, 0, 1) ?? defaults.KeyTermsMissingAt,
                MentionedBelow = read.Number(map, "mentioned_below", required: false, 0, 1) ?? defaults.MentionedBelow,
                Embedding = ParseEmbedding(map),
            };
    }

    private EmbeddingSettings? ParseEmbedding(MapReader retrieval)
    {
        var map = read.Mapping(retrieval, "embedding", required: false, "retrieval.embedding", EmbeddingKeys);
        if (map is null)
        {
            return null;
        }

        var provider = read.Enum(map, "provider", required: true, EmbeddingProviders);
        var remote = provider == EmbeddingProvider.OpenAICompatible;
        var endpointNode = read.Scalar(map, "endpoint", required: remote);
        var modelName = read.Scalar(map, "model", required: remote);
        var dimensionsNode = map["dimensions"] as YScalar;
        var dimensions = read.Integer(map, "dimensions", required: remote, 1, 65536);
        // The same attestation as the answer model's: a remote endpoint is sent every passage of every source.
        var trains = read.Boolean(map, "trains_on_data", required: remote);
        if (trains == true)
        {
            bag.Error(DiagnosticCodes.TrainsOnData, "trains_on_data: true is refused: nothing may train someone else's model; choose an embedding endpoint that does not train on your data", map["trains_on_data"]!);
        }

        Uri? endpoint = null;
        if (!remote)
        {
            foreach (var ignored in new[] { endpointNode, modelName, dimensionsNode }.OfType<YScalar>())
            {
                bag.Warning(DiagnosticCodes.ModelSettingIgnored, $"embedding provider '{(map["provider"] is YScalar p ? p.Value : "builtin")}' needs no endpoint; 'endpoint', 'model' and 'dimensions' are ignored", ignored);
            }
        }
        else if (endpointNode is not null)
        {
            endpoint = RemoteEndpoint(endpointNode, "embedding endpoint", "every passage and question would cross the network unencrypted");
        }

        return new EmbeddingSettings
        {
            Provider = provider ?? EmbeddingProvider.Builtin,
            Endpoint = endpoint,
            Model = remote ? modelName?.Value : null,
            Dimensions = remote ? dimensions ?? 0 : 0,
        };
    }

    private Connector? ParseConnector(MapReader map)
    {
        var type = read.Enum(map, "type", required: true, ConnectorTypes);
        var endpointNode = read.Scalar(map, "endpoint", required: type == ConnectorType.Http);
        var command = read.Scalar(map, "command", required: false);
        if (type == ConnectorType.Http && command is not null)
        {
            bag.Error(DiagnosticCodes.MalformedValue, $"'command' in {map.Where} is only for mcp connectors; http connectors use 'endpoint'", command);
        }
        else if (type == ConnectorType.Mcp && command is null && endpointNode is null && !map.Has("endpoint") && !map.Has("command"))
        {
            bag.Error(DiagnosticCodes.MissingKey, $"{map.Where} needs 'endpoint' (a remote MCP server) or 'command' (a local one)", map.Node);
        }
        else if (type == ConnectorType.Mcp && command is not null && endpointNode is not null)
        {
            bag.Error(DiagnosticCodes.MalformedValue, $"{map.Where} has both 'endpoint' and 'command'; an MCP connector uses one", command);
        }

        return new Connector
        {
            Name = RequiredName(map, "name", "connector"),
            Type = type ?? ConnectorType.Http,
            Endpoint = endpointNode is null ? null : ParseUrl(endpointNode, $"endpoint of {map.Where}"),
            Command = command?.Value,
            Description = read.String(map, "description", required: false),
        };
    }

    private ActionDefinition? ParseAction(MapReader map)
    {
        var parameters = new List<ActionParameter>();
        if (read.Mapping(map, "parameters", required: false, $"parameters of {map.Where}", allowedKeys: null) is { } parameterMap)
        {
            foreach (var (key, value) in parameterMap.Entries)
            {
                var where = $"parameter '{key.Value}' of {map.Where}";
                if (read.AsMapping(value, where, where, ParameterKeys) is { } p && ParseParameter(key.Value, p) is { } parameter)
                {
                    parameters.Add(parameter);
                }
            }
        }

        var action = new ActionDefinition
        {
            Name = RequiredName(map, "name", "action"),
            Description = read.String(map, "description", required: false),
            Connector = read.String(map, "connector", required: false) ?? string.Empty,
            Consequence = read.Enum(map, "consequence", required: true, Consequences) ?? ActionConsequence.Routine,
            Scope = read.String(map, "scope", required: false),
            Parameters = parameters,
        };
        // A misspelled 'connector' key already has SB1002; the item node stands in so SB1104 does not repeat it.
        actionNodes.Add((action, map.Node, map["connector"] ?? (map.IsMisspelled("connector") ? map.Node : null)));
        actionSources.TryAdd(action.Name, Loc(map.Node));
        return action;
    }

    private ActionParameter? ParseParameter(string name, MapReader map)
    {
        var pattern = read.Scalar(map, "pattern", required: false);
        if (pattern is not null)
        {
            try
            {
                _ = new Regex(pattern.Value, RegexOptions.None, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException ex)
            {
                bag.Error(DiagnosticCodes.MalformedValue, $"pattern of {map.Where} is not a valid regular expression: {ex.Message}", pattern);
            }
        }

        var minimum = read.Number(map, "minimum", required: false);
        var maximum = read.Number(map, "maximum", required: false);
        if (minimum > maximum)
        {
            bag.Error(DiagnosticCodes.OutOfRange, $"minimum of {map.Where} is above its maximum", map["minimum"]!);
        }

        return new ActionParameter
        {
            Name = name,
            Type = read.Enum(map, "type", required: true, ParameterTypes) ?? ParameterType.String,
            Required = read.Boolean(map, "required", required: false) ?? false,
            Minimum = minimum,
            Maximum = maximum,
            Pattern = pattern?.Value,
            AllowedValues = read.ScalarList(map, "enum", required: false)?.Select(s => s.Value).ToList(),
        };
    }

    private PolicySettings ParsePolicy(MapReader root)
    {
        var map = read.Mapping(root, "policy", required: false, "policy", PolicyKeys);
        return map is null ? new PolicySettings() : new PolicySettings { Rules = ParseList(map, "rules", "policy rule", RuleKeys, ParseRule) };
    }

    private PolicyRule? ParseRule(MapReader map)
    {
        var principals = read.ScalarList(map, "principals", required: true) ?? [];
        var actions = read.ScalarList(map, "actions", required: true) ?? [];
        foreach (var (key, list) in new[] { ("principals", principals), ("actions", actions) })
        {
            if (list.Count == 0 && map[key] is YSequence)
            {
                bag.Error(DiagnosticCodes.MissingKey, $"'{key}' in {map.Where} is empty; a rule must name at least one", map[key]!);
            }
        }

        var when = new List<(PolicyCondition, YScalar, YNode)>();
        if (read.Mapping(map, "when", required: false, $"'when' of {map.Where}", allowedKeys: null) is { } whenMap)
        {
            foreach (var (field, value) in whenMap.Entries)
            {
                var where = $"condition on '{field.Value}' in {map.Where}";
                if (read.AsMapping(value, where, where, [.. Operators.Keys]) is not { } ops)
                {
                    continue;
                }

                foreach (var (opKey, operand) in ops.Entries)
                {
                    if (ParseOperand(Operators[opKey.Value], operand, where) is { } values)
                    {
                        when.Add((new PolicyCondition(field.Value, Operators[opKey.Value], values), field, operand));
                    }
                }
            }
        }

        var rule = new PolicyRule
        {
            Id = RequiredName(map, "id", "policy rule id"),
            Description = read.String(map, "description", required: false),
            Effect = read.Enum(map, "effect", required: true, Effects) ?? PolicyEffect.Forbid,
            Principals = [.. principals.Select(p => p.Value)],
            Actions = [.. actions.Select(a => a.Value)],
            When = [.. when.Select(w => w.Item1)],
            Approval = read.Enum(map, "approval", required: false, Approvals),
            Approvers = read.Integer(map, "approvers", required: false, 1, MaxApprovers),
            Mode = read.Enum(map, "mode", required: false, RuleModes) ?? PolicyRuleMode.Enforce,
        };
        ruleNodes.Add((rule, map.Node, [.. principals], [.. actions], when, map["approval"]));
        if (map["approvers"] is { } approversNode && (rule.Effect == PolicyEffect.Forbid || rule.Approval == ApprovalRequirement.None))
        {
            var why = rule.Effect == PolicyEffect.Forbid ? "the rule forbids" : "the rule says 'approval: none'";
            bag.Error(DiagnosticCodes.ApproversWithoutApproval, $"'approvers' in {map.Where} has no meaning because {why}; remove one of them", approversNode);
        }

        policySources.Add(new PolicyRuleSource(
            Loc(map.Node),
            [.. principals.Select(Loc)],
            [.. actions.Select(Loc)],
            [.. when.Select(w => Loc(w.Item2))],
            map["approvers"] is { } n ? Loc(n) : null));
        return rule;
    }

    private List<string>? ParseOperand(ConditionOperator op, YNode operand, string where)
    {
        var name = op.ToString().ToLowerInvariant();
        if (op == ConditionOperator.In)
        {
            if (operand is YSequence sequence && sequence.Items.All(i => i is YScalar { IsNull: false }))
            {
                return [.. sequence.Items.Cast<YScalar>().Select(s => s.Value)];
            }

            bag.Error(DiagnosticCodes.WrongType, $"'in' of {where} must be a list of values, not {operand.Describe()}", operand);
            return null;
        }

        if (operand is not YScalar { IsNull: false } scalar)
        {
            bag.Error(DiagnosticCodes.WrongType, $"'{name}' of {where} must be a single value, not {operand.Describe()}", operand);
            return null;
        }

        if (op is ConditionOperator.Lt or ConditionOperator.Lte or ConditionOperator.Gt or ConditionOperator.Gte && !ScalarReaders.TryNumber(scalar, out _))
        {
            bag.Error(DiagnosticCodes.WrongType, $"'{name}' of {where} compares numbers, so it needs a number, not {scalar.Describe()}", scalar);
            return null;
        }

        return [scalar.Value];
    }

    private AutonomySettings ParseAutonomy(MapReader root)
    {
        var map = read.Mapping(root, "autonomy", required: true, "autonomy", AutonomyKeys);
        if (map is null)
        {
            return new AutonomySettings { Level = AutonomyLevel.L0Draft };
        }

        AutonomyLevel? level = null;
        if (read.Scalar(map, "level", required: true) is { } scalar)
        {
            if (scalar.Value == "halted")
            {
                bag.Error(DiagnosticCodes.HaltedInManifest, "'halted' is not a manifest level: only the kill switch halts a workflow; valid values: " + string.Join(", ", AutonomyLevels.ManifestNames), scalar);
            }
            else
            {
                level = read.EnumValue(scalar, "autonomy level", AutonomyLevels.ManifestNames.ToDictionary(n => n, n => AutonomyLevels.TryParse(n, out var l) ? l : default));
                levelNode = level is null ? null : scalar;
            }
        }

        return new AutonomySettings
        {
            Level = level ?? AutonomyLevel.L0Draft,
            ReviewSampleRate = read.Number(map, "review_sample_rate", required: false, 0, 1) ?? 0,
        };
    }

    private AcceptanceCriterion? ParseCriterion(MapReader map)
    {
        var metric = read.Scalar(map, "metric", required: true);
        var known = metric is not null && AcceptanceCriterion.KnownMetrics.Contains(metric.Value, StringComparer.Ordinal);
        if (metric is not null && !known)
        {
            bag.Error(
                DiagnosticCodes.UnknownMetric,
                $"'{metric.Value}' in {map.Where} is not a metric the evaluation computes; known metrics: {string.Join(", ", AcceptanceCriterion.KnownMetrics)}",
                metric,
                Text.EditDistance.FindNearest(metric.Value, AcceptanceCriterion.KnownMetrics));
        }

        var (min, max) = Bounds(map);
        var kind = Evaluation.Metrics.KindOf(metric?.Value ?? string.Empty);
        if (known)
        {
            foreach (var (key, bound) in new[] { ("min", min), ("max", max) })
            {
                if (bound is { } b && (b < 0 || (kind == Evaluation.MetricKind.Proportion && b > 1)))
                {
                    var range = kind == Evaluation.MetricKind.Proportion
                        ? $"'{metric!.Value}' is a proportion, so '{key}' must be between 0 and 1 (write 0.9 for 90%), not {ScalarReaders.Format(b)}"
                        : $"'{metric!.Value}' cannot be negative, so '{key}' {ScalarReaders.Format(b)} can never be met";
                    bag.Error(DiagnosticCodes.ThresholdOutsideMetricRange, range, map[key]!);
                }
            }
        }

        var tag = read.Scalar(map, "tag", required: false);
        if (tag is not null && !Evaluation.GoldenTags.Known.Contains(tag.Value, StringComparer.Ordinal))
        {
            bag.Error(
                DiagnosticCodes.UnknownBarTag,
                $"tag '{tag.Value}' in {map.Where} is not a golden-set tag; known tags: {string.Join(", ", Evaluation.GoldenTags.Known)}",
                tag,
                Text.EditDistance.FindNearest(tag.Value, Evaluation.GoldenTags.Known));
        }

        var confidence = read.Number(map, "confidence", required: false);
        if (confidence is { } c && (c < 0.5 || c > 0.999))
        {
            bag.Error(DiagnosticCodes.InvalidConfidence, $"confidence in {map.Where} must be between 0.5 and 0.999 (e.g. 0.95), not {map["confidence"]!.Describe()}", map["confidence"]!);
            confidence = null;
        }
        else if (confidence is not null && known && kind == Evaluation.MetricKind.Direct)
        {
            bag.Warning(DiagnosticCodes.ConfidenceIgnored, $"confidence in {map.Where} is ignored: '{metric!.Value}' is compared directly, without an interval", map["confidence"]!);
        }

        var criterion = new AcceptanceCriterion
        {
            Metric = metric?.Value ?? string.Empty,
            Min = min,
            Max = max,
            Tag = tag?.Value,
            Confidence = confidence ?? AcceptanceCriterion.DefaultConfidence,
            MinCases = read.Integer(map, "min_cases", required: false, 1, 1_000_000) ?? AcceptanceCriterion.DefaultMinCases,
        };
        if (known)
        {
            // Two criteria for the same metric, tag and direction: which one does the bar mean?
            foreach (var direction in new[] { ("min", min), ("max", max) })
            {
                if (direction.Item2 is null)
                {
                    continue;
                }

                var key = $"{criterion.Metric}|{criterion.Tag}|{direction.Item1}";
                if (criterionKeys.TryGetValue(key, out var firstLine))
                {
                    var scope = criterion.Tag is null ? "overall" : $"for tag '{criterion.Tag}'";
                    bag.Error(DiagnosticCodes.DuplicateCriterion, $"a second '{direction.Item1}' for '{criterion.Metric}' {scope} (first on line {firstLine}); keep one", map.Node);
                    break;
                }

                criterionKeys[key] = map.Node.Line;
            }
        }

        return criterion;
    }

    private readonly Dictionary<string, int> criterionKeys = new(StringComparer.Ordinal);

    private (double? Min, double? Max) Bounds(MapReader map)
    {
        var min = read.Number(map, "min", required: false);
        var max = read.Number(map, "max", required: false);
        if (!map.Has("min") && !map.Has("max"))
        {
            bag.Error(DiagnosticCodes.InvalidThreshold, $"{map.Where} sets neither 'min' nor 'max', so it can never fail", map.Node);
        }
        else if (min > max)
        {
            bag.Error(DiagnosticCodes.InvalidThreshold, $"{map.Where} has min {ScalarReaders.Format(min.Value)} above max {ScalarReaders.Format(max!.Value)}, so it can never pass", map["min"]!);
        }

        return (min, max);
    }

    private (string? Path, string? Sha256) ParseGoldenSet(MapReader root)
    {
        var node = root["golden_set"];
        if (node is null || node is YScalar { IsNull: true })
        {
            return (null, null);
        }

        YScalar? path;
        YScalar? pin = null;
        if (node is YMapping)
        {
            var map = read.AsMapping(node, "'golden_set'", "golden_set", GoldenSetKeys);
            path = map is null ? null : read.Scalar(map, "path", required: true);
            pin = map is null ? null : read.Scalar(map, "sha256", required: false);
            if (pin is not null && !Sha256Pattern().IsMatch(pin.Value))
            {
                bag.Error(DiagnosticCodes.MalformedGoldenSetHash, $"golden_set sha256 '{pin.Value}' is not a SHA-256: write the 64 hexadecimal characters of the file's SHA-256 (as sha256sum prints them)", pin);
                pin = null;
            }
        }
        else
        {
            path = read.Scalar(root, "golden_set", required: false, "a path or { path, sha256 }");
        }

        if (path is null)
        {
            return (null, null);
        }

        goldenSetSource = new GoldenSetSource(Loc(path), pin is null ? null : Loc(pin), node is YMapping);
        CheckRelativePath(path, "golden_set");
        if (!bag.HasErrorAt(path) && context.FileExists is { } exists && !exists(path.Value))
        {
            bag.Error(DiagnosticCodes.GoldenSetNotFound, $"golden set '{path.Value}' was not found next to the manifest", path);
        }
        else if (pin is not null && !bag.HasErrorAt(path) && context.ReadFile is { } readFile && readFile(path.Value) is { } bytes)
        {
            var actual = Evaluation.GoldenSetLoader.ComputeHash(bytes);
            if (!string.Equals(actual, pin.Value, StringComparison.OrdinalIgnoreCase))
            {
                bag.Error(
                    DiagnosticCodes.GoldenSetHashMismatch,
                    $"golden set '{path.Value}' has SHA-256 {actual}, but the manifest pins {pin.Value.ToLowerInvariant()}: the cases changed after the bar was agreed; review the change, then update the pin (skybridge eval pin)",
                    pin);
            }
        }

        return (path.Value, pin?.Value.ToLowerInvariant());
    }

    private Assumption? ParseAssumption(MapReader map)
    {
        var every = read.Scalar(map, "check_every", required: true);
        var interval = TimeSpan.Zero;
        if (every is not null)
        {
            var match = DurationPattern().Match(every.Value);
            if (!match.Success)
            {
                bag.Error(DiagnosticCodes.MalformedValue, $"check_every '{every.Value}' in {map.Where} is not a duration; write e.g. 30m, 1h or 1d", every);
            }
            else
            {
                var count = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                interval = match.Groups[2].Value switch
                {
                    "s" => TimeSpan.FromSeconds(count),
                    "m" => TimeSpan.FromMinutes(count),
                    "h" => TimeSpan.FromHours(count),
                    _ => TimeSpan.FromDays(count),
                };
                if (count == 0)
                {
                    bag.Error(DiagnosticCodes.OutOfRange, $"check_every in {map.Where} must be longer than zero", every);
                }
            }
        }

        var (min, max) = Bounds(map);
        return new Assumption
        {
            Id = RequiredName(map, "id", "assumption id"),
            Description = read.String(map, "description", required: false),
            Metric = read.String(map, "metric", required: true) ?? string.Empty,
            Min = min,
            Max = max,
            CheckEvery = interval,
            EscalateTo = read.Principals(map, "escalate_to", required: true) ?? [],
        };
    }

    private Dependency? ParseDependency(MapReader map)
    {
        var contact = read.Scalar(map, "contact", required: true);
        var events = new List<WorkflowEvent>();
        foreach (var item in read.ScalarList(map, "notify_on", required: false) ?? [])
        {
            if (read.EnumValue(item, $"event in {map.Where}", Events) is { } e)
            {
                events.Add(e);
            }
        }

        return new Dependency
        {
            Name = RequiredName(map, "name", "dependency"),
            Description = read.String(map, "description", required: false),
            Contact = (contact is null ? null : read.ParsePrincipal(contact, $"'contact' in {map.Where}")) ?? new Principal(PrincipalKind.User, string.Empty),
            NotifyOn = events,
        };
    }

    [GeneratedRegex("^(?=.{2,63}$)[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex SlugPattern();

    [GeneratedRegex("^[a-z][a-z0-9_-]*:[a-z][a-z0-9_*-]*$")]
    private static partial Regex ScopePattern();

    [GeneratedRegex("^[0-9a-fA-F]{64}$")]
    private static partial Regex Sha256Pattern();

    [GeneratedRegex("^([0-9]{1,6})(s|m|h|d)$")]
    private static partial Regex DurationPattern();
}
