using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Skybridge.Core.Diagnostics;
using Skybridge.Core.Manifests;
using Skybridge.Core.Manifests.Parsing;
using Skybridge.Core.Text;

namespace Skybridge.Core.Evaluation;

/// <summary>The outcome of <see cref="GoldenSetLoader.Load(byte[], string)"/>.</summary>
public sealed record GoldenSetLoadResult
{
    /// <summary>The golden set, or null when there is any error.</summary>
    public GoldenSet? GoldenSet { get; init; }

    /// <summary>Every problem found, errors and warnings, in file order.</summary>
    public IReadOnlyList<Diagnostic> Diagnostics { get; init; } = [];

    /// <summary>True when there is no error (warnings allowed).</summary>
    public bool IsValid => !Diagnostics.Any(d => d.IsError);
}

/// <summary>
/// Loads and validates a golden set file with the manifest's YAML machinery: every problem at once, each with
/// file:line:column and a stable code (SB10xx for structure, SB16xx for golden-set rules). Never throws for bad input.
/// </summary>
public static class GoldenSetLoader
{
    /// <summary>Lower-case hex SHA-256 of the file's bytes exactly as stored (the value a manifest pins).</summary>
    public static string ComputeHash(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Loads a golden set from the file's bytes (UTF-8; a byte-order mark is skipped for parsing, not for the hash).</summary>
    public static GoldenSetLoadResult Load(byte[] bytes, string fileName)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(fileName);
        var text = new UTF8Encoding(false).GetString(bytes);
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }

        return Load(text, fileName, ComputeHash(bytes));
    }

    /// <summary>Loads a golden set from text; its hash is over the text's UTF-8 bytes.</summary>
    public static GoldenSetLoadResult Load(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Load(text, fileName, ComputeHash(Encoding.UTF8.GetBytes(text)));
    }

    private static GoldenSetLoadResult Load(string text, string fileName, string hash)
    {
        var bag = new DiagnosticBag(fileName);
        var tree = YamlTreeReader.Read(text);
        if (tree.Error is not null)
        {
            bag.Add(DiagnosticCodes.YamlSyntax, DiagnosticSeverity.Error, $"YAML syntax error: {tree.Error}", bag.At(tree.ErrorLine, tree.ErrorColumn));
            return new GoldenSetLoadResult { Diagnostics = bag.ToList() };
        }

        var set = new GoldenSetParser(bag).Parse(tree.Root, hash);
        return new GoldenSetLoadResult { GoldenSet = bag.HasErrors ? null : set, Diagnostics = bag.ToList() };
    }
}

/// <summary>Maps the YAML tree of a golden set onto the model, reporting every problem with its position.</summary>
internal sealed class GoldenSetParser(DiagnosticBag bag)
{
    private static readonly string[] RootKeys = ["version", "cases"];
    private static readonly string[] CaseKeys = ["id", "input", "attributes", "expect", "tags", "agreed_by", "agreed_on", "notes"];
    private static readonly string[] ExpectKeys = ["outcome", "facts", "cite", "actions", "no_actions"];
    private static readonly string[] FactKeys = ["pattern", "number"];
    private static readonly string[] ActionKeys = ["action", "parameters"];

    private static readonly Dictionary<string, ExpectedOutcome> Outcomes = new(StringComparer.Ordinal)
    {
        ["answer"] = ExpectedOutcome.Answer, ["abstain"] = ExpectedOutcome.Abstain,
    };

    private readonly ScalarReaders read = new(bag);

    public GoldenSet? Parse(YNode? root, string hash)
    {
        if (root is null || root is YScalar { IsNull: true })
        {
            bag.Add(DiagnosticCodes.MissingKey, DiagnosticSeverity.Error, "the golden set is empty; it needs 'version: 1' and 'cases'", bag.At(1, 1));
            return null;
        }

        var map = read.AsMapping(root, "the golden set", "the golden set", RootKeys);
        if (map is null)
        {
            return null;
        }

        var version = read.Integer(map, "version", required: true, int.MinValue, int.MaxValue);
        if (version is { } v && v != 1)
        {
            bag.Error(DiagnosticCodes.UnsupportedGoldenSetVersion, $"golden set version {v} is not supported; this build reads version 1", map["version"]!);
        }

        var cases = new List<GoldenCase>();
        var items = read.Sequence(map, "cases", required: true);
        if (items is { Count: 0 })
        {
            bag.Error(DiagnosticCodes.EmptyGoldenSet, "the golden set has no cases, so no run of it could clear a bar", map["cases"]!);
        }

        var ids = new Dictionary<string, YScalar>(StringComparer.Ordinal);
        for (var i = 0; i < (items?.Count ?? 0); i++)
        {
            var item = items![i];
            var idNode = item is YMapping m ? m.Entries.FirstOrDefault(e => e.Key is YScalar { Value: "id" }).Value as YScalar : null;
            var where = idNode is { IsNull: false } ? $"case '{idNode.Value}'" : $"case #{i + 1}";
            if (read.AsMapping(item, $"case #{i + 1}", where, CaseKeys) is { } caseMap && ParseCase(caseMap, ids) is { } parsed)
            {
                cases.Add(parsed);
            }
        }

        return new GoldenSet { Version = version ?? 1, Cases = cases, Sha256 = hash };
    }

    private GoldenCase? ParseCase(MapReader map, Dictionary<string, YScalar> ids)
    {
        var id = read.Scalar(map, "id", required: true);
        if (id is not null)
        {
            if (ids.TryGetValue(id.Value, out var first))
            {
                bag.Error(DiagnosticCodes.DuplicateCaseId, $"duplicate case id '{id.Value}' (first on line {first.Line})", id);
            }
            else
            {
                ids[id.Value] = id;
            }
        }

        var input = read.Scalar(map, "input", required: true);
        if (input is not null && string.IsNullOrWhiteSpace(input.Value))
        {
            bag.Error(DiagnosticCodes.MissingKey, $"'input' of {map.Where} is empty; give the ticket text", input);
        }

        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (read.Mapping(map, "attributes", required: false, $"attributes of {map.Where}", allowedKeys: null) is { } attributeMap)
        {
            foreach (var (key, value) in attributeMap.Entries)
            {
                if (value is YScalar { IsNull: false } scalar)
                {
                    attributes[key.Value] = scalar.Value;
                }
                else
                {
                    bag.Error(DiagnosticCodes.WrongType, $"attribute '{key.Value}' of {map.Where} must be text, not {value.Describe()}", value);
                }
            }
        }

        var tags = new List<string>();
        foreach (var tag in read.ScalarList(map, "tags", required: false) ?? [])
        {
            if (GoldenTags.Known.Contains(tag.Value, StringComparer.Ordinal))
            {
                tags.Add(tag.Value);
            }
            else
            {
                bag.Error(
                    DiagnosticCodes.UnknownCaseTag,
                    $"unknown tag '{tag.Value}' on {map.Where}; known tags: {string.Join(", ", GoldenTags.Known)}",
                    tag,
                    EditDistance.FindNearest(tag.Value, GoldenTags.Known));
            }
        }

        var agreedByNode = read.Scalar(map, "agreed_by", required: true);
        var agreedBy = agreedByNode is null ? null : read.ParsePrincipal(agreedByNode, $"'agreed_by' of {map.Where}");
        var agreedOnNode = read.Scalar(map, "agreed_on", required: true, "a date");
        DateOnly? agreedOn = null;
        if (agreedOnNode is not null)
        {
            if (DateOnly.TryParseExact(agreedOnNode.Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                agreedOn = date;
            }
            else
            {
                bag.Error(DiagnosticCodes.MalformedAgreedOn, $"agreed_on '{agreedOnNode.Value}' of {map.Where} is not a date; write YYYY-MM-DD, e.g. 2026-10-02", agreedOnNode);
            }
        }

        var expect = read.Mapping(map, "expect", required: true, $"expect of {map.Where}", ExpectKeys) is { } expectMap
            ? ParseExpectation(expectMap, map.Where)
            : null;

        return new GoldenCase
        {
            Id = id?.Value ?? string.Empty,
            Input = input?.Value ?? string.Empty,
            Attributes = attributes,
            Expect = expect ?? new GoldenExpectation { Outcome = ExpectedOutcome.Answer },
            Tags = tags,
            AgreedBy = agreedBy ?? new Principal(PrincipalKind.User, string.Empty),
            AgreedOn = agreedOn ?? default,
            Location = bag.At(map.Node.Line, map.Node.Column),
        };
    }

    private GoldenExpectation ParseExpectation(MapReader map, string caseWhere)
    {
        var outcome = read.Enum(map, "outcome", required: true, Outcomes);
        var facts = new List<ExpectedFact>();
        var factLocations = new List<SourceLocation>();
        foreach (var item in read.Sequence(map, "facts", required: false) ?? [])
        {
            if (ParseFact(item, caseWhere) is { } fact)
            {
                facts.Add(fact);
                factLocations.Add(bag.At(item.Line, item.Column));
            }
        }

        var cite = read.ScalarList(map, "cite", required: false) ?? [];
        if (outcome == ExpectedOutcome.Abstain)
        {
            foreach (var key in new[] { "facts", "cite" })
            {
                if (map[key] is YSequence { Items.Count: > 0 } list)
                {
                    bag.Error(DiagnosticCodes.AbstainWithFacts, $"{caseWhere} expects an abstention but lists '{key}': an abstention states and cites nothing; remove '{key}' or expect 'answer'", list);
                }
            }
        }

        var actions = new List<ExpectedAction>();
        foreach (var item in read.Sequence(map, "actions", required: false) ?? [])
        {
            var where = $"expected action of {caseWhere}";
            if (read.AsMapping(item, where, where, ActionKeys) is not { } actionMap)
            {
                continue;
            }

            var name = read.String(actionMap, "action", required: true);
            var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
            if (read.Mapping(actionMap, "parameters", required: false, $"parameters of {where}", allowedKeys: null) is { } parameterMap)
            {
                foreach (var (key, value) in parameterMap.Entries)
                {
                    if (value is YScalar { IsNull: false } scalar)
                    {
                        parameters[key.Value] = scalar.Value;
                    }
                    else
                    {
                        bag.Error(DiagnosticCodes.WrongType, $"parameter '{key.Value}' of {where} must be a single value, not {value.Describe()}", value);
                    }
                }
            }

            if (name is not null)
            {
                actions.Add(new ExpectedAction(name, parameters));
            }
        }

        var noActions = read.ScalarList(map, "no_actions", required: false) ?? [];
        if (outcome == ExpectedOutcome.Answer && facts.Count == 0 && cite.Count == 0 && actions.Count == 0 && noActions.Count == 0
            && !map.Has("facts") && !map.Has("cite") && !map.Has("actions") && !map.Has("no_actions"))
        {
            bag.Warning(DiagnosticCodes.CaseChecksNothing, $"{caseWhere} expects an answer but lists no facts, citations or actions, so any answer passes", map.Node);
        }

        return new GoldenExpectation
        {
            Outcome = outcome ?? ExpectedOutcome.Answer,
            Facts = facts,
            FactLocations = factLocations,
            Cite = [.. cite.Select(c => c.Value)],
            CiteLocations = [.. cite.Select(c => bag.At(c.Line, c.Column))],
            Actions = actions,
            NoActions = [.. noActions.Select(a => a.Value)],
        };
    }

    private ExpectedFact? ParseFact(YNode item, string caseWhere)
    {
        if (item is YScalar scalar)
        {
            if (scalar.IsNull || string.IsNullOrWhiteSpace(scalar.Value))
            {
                bag.Error(DiagnosticCodes.MalformedFact, $"a fact of {caseWhere} is empty; write the text the answer must state", item);
                return null;
            }

            return new TextFact(scalar.Value);
        }

        if (item is not YMapping mapping)
        {
            bag.Error(DiagnosticCodes.MalformedFact, $"a fact of {caseWhere} must be text, {{ pattern: REGEX }} or {{ number: N }}, not {item.Describe()}", item);
            return null;
        }

        var where = $"fact of {caseWhere}";
        var map = new MapReader(mapping, where, FactKeys, bag);
        if (map.Has("pattern") == map.Has("number"))
        {
            if (!map.IsMisspelled("pattern") && !map.IsMisspelled("number"))
            {
                bag.Error(DiagnosticCodes.MalformedFact, $"a {where} must have exactly one of 'pattern' and 'number'", item);
            }

            return null;
        }

        if (map.Has("number"))
        {
            var number = read.Scalar(map, "number", required: true, "a number");
            if (number is null)
            {
                return null;
            }

            if (!number.IsPlain || !decimal.TryParse(number.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                bag.Error(DiagnosticCodes.MalformedFact, $"'number' of {where} must be a number like 34.90, not {number.Describe()}", number);
                return null;
            }

            return new NumberFact(value);
        }

        var pattern = read.Scalar(map, "pattern", required: true);
        if (pattern is null)
        {
            return null;
        }

        try
        {
            return new PatternFact(pattern.Value);
        }
        catch (ArgumentException ex)
        {
            bag.Error(DiagnosticCodes.InvalidFactPattern, $"pattern '{pattern.Value}' of {where} is not a valid regular expression: {ex.Message}", pattern);
            return null;
        }
    }
}
