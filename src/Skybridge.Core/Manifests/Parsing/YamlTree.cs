using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Skybridge.Core.Manifests.Parsing;

/// <summary>
/// A minimal YAML node tree built from YamlDotNet's event parser. We do not use the representation model
/// (<c>YamlStream</c>) because <c>YamlMappingNode</c> throws on the first duplicate key, which would hide every
/// other problem in the file; here duplicates are kept, in order, and reported with the rest.
/// </summary>
internal abstract class YNode(int line, int column)
{
    public int Line { get; } = line;

    public int Column { get; } = column;

    public abstract string Describe();
}

internal sealed class YScalar(int line, int column, string value, bool isPlain) : YNode(line, column)
{
    public string Value { get; } = value;

    /// <summary>Unquoted: only plain scalars are read as null, booleans or numbers (quoting forces text).</summary>
    public bool IsPlain { get; } = isPlain;

    public bool IsNull => IsPlain && Value is "" or "~" or "null" or "Null" or "NULL";

    public override string Describe() => IsNull ? "nothing" : $"'{Value}'";
}

internal sealed class YSequence(int line, int column, IReadOnlyList<YNode> items) : YNode(line, column)
{
    public IReadOnlyList<YNode> Items { get; } = items;

    public override string Describe() => "a list";
}

internal sealed class YMapping(int line, int column, IReadOnlyList<KeyValuePair<YNode, YNode>> entries) : YNode(line, column)
{
    /// <summary>Entries in document order, duplicates included.</summary>
    public IReadOnlyList<KeyValuePair<YNode, YNode>> Entries { get; } = entries;

    public override string Describe() => "a mapping";
}

/// <summary>The outcome of reading YAML text: the root node (null for an empty document) or a syntax error.</summary>
internal sealed record YamlReadResult(YNode? Root, string? Error, int ErrorLine, int ErrorColumn);

internal static class YamlTreeReader
{
    public static YamlReadResult Read(string text)
    {
        var parser = new Parser(new StringReader(text));
        var anchors = new Dictionary<string, YNode>(StringComparer.Ordinal);
        Mark last = Mark.Empty;
        try
        {
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
            {
                return new YamlReadResult(null, null, 0, 0);
            }

            parser.Consume<DocumentStart>();
            var root = ReadNode(parser, anchors, ref last);
            parser.Consume<DocumentEnd>();
            if (parser.Accept<DocumentStart>(out var second))
            {
                return new YamlReadResult(null, "a manifest is one YAML document, but a second document starts here", (int)second.Start.Line, (int)second.Start.Column);
            }

            return new YamlReadResult(root, null, 0, 0);
        }
        catch (YamlException ex)
        {
            return new YamlReadResult(null, Clean(ex.Message), Math.Max(1, (int)ex.Start.Line), Math.Max(1, (int)ex.Start.Column));
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this without a position for a few malformed flow collections
            // (e.g. an unclosed '[' followed by a block key); the last event read is the best position we have.
            return new YamlReadResult(null, "malformed YAML (an unclosed '[' or '{'?)", Math.Max(1, (int)last.Line), Math.Max(1, (int)last.Column));
        }
    }

    private static YNode ReadNode(IParser parser, Dictionary<string, YNode> anchors, ref Mark last)
    {
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            last = alias.Start;
            return anchors.TryGetValue(alias.Value.Value, out var target)
                ? target
                : throw new YamlException(alias.Start, alias.End, $"unknown alias '*{alias.Value.Value}'");
        }

        YNode node;
        AnchorName anchor;
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            last = scalar.Start;
            anchor = scalar.Anchor;
            node = new YScalar((int)scalar.Start.Line, (int)scalar.Start.Column, scalar.Value, scalar.Style == ScalarStyle.Plain);
        }
        else if (parser.TryConsume<SequenceStart>(out var sequenceStart))
        {
            last = sequenceStart.Start;
            anchor = sequenceStart.Anchor;
            var items = new List<YNode>();
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                items.Add(ReadNode(parser, anchors, ref last));
            }

            node = new YSequence((int)sequenceStart.Start.Line, (int)sequenceStart.Start.Column, items);
        }
        else
        {
            var mappingStart = parser.Consume<MappingStart>();
            last = mappingStart.Start;
            anchor = mappingStart.Anchor;
            var entries = new List<KeyValuePair<YNode, YNode>>();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var key = ReadNode(parser, anchors, ref last);
                var value = ReadNode(parser, anchors, ref last);
                entries.Add(new(key, value));
            }

            node = new YMapping((int)mappingStart.Start.Line, (int)mappingStart.Start.Column, entries);
        }

        if (!anchor.IsEmpty)
        {
            anchors[anchor.Value] = node;
        }

        return node;
    }

    /// <summary>YamlDotNet prefixes messages with "(Line: 2, Col: 3, Idx: ...) - (...): "; we print our own position.</summary>
    private static string Clean(string message)
    {
        var index = message.LastIndexOf("): ", StringComparison.Ordinal);
        var text = index >= 0 ? message[(index + 3)..] : message;
        return text.TrimEnd('.');
    }
}
