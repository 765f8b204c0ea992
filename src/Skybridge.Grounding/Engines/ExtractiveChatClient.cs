using System.Text.Json;
using Lucene.Net.Analysis;
using Lucene.Net.Analysis.TokenAttributes;
using Microsoft.Extensions.AI;
using Skybridge.Core.Grounding;

namespace Skybridge.Grounding.Engines;

/// <summary>
/// The built-in answer engine, needing no model: it reads the passages it is given, scores each sentence by the
/// IDF-weighted question terms it contains (English stemming, as retrieval uses) and by whether it has the shape of
/// the answer (<see cref="AnswerShapes"/>: a duration for "how long", a definition for "what is"), and answers each
/// question with the best sentences of one page quoted verbatim, each citing its passage. It speaks <see cref="IChatClient"/> like any model, so the
/// pipeline around it is the same for every engine; no text leaves the process.
/// </summary>
public sealed partial class ExtractiveChatClient : IChatClient
{
    /// <summary>The engine's name in drafts and the ledger.</summary>
    public const string Name = "builtin-extractive";

    // Up to this many parts of the page a question's answer quotes (a paragraph, a list, a sentence): sentences of one
    // short paragraph or list share a part, since it is quoted whole (docs/performance.md, "Three places, three parts").
    private const int MaxSentences = 3;
    // A paragraph of up to this many sentences is quoted whole when one of them is chosen, a numbered list of up to
    // MaxSteps steps when one of its steps is, a bulleted list of up to MaxItems items when one of its items is
    // (docs/performance.md, "Support-desk sentence choice"): paragraphs of five gained one support-desk ticket and made
    // the median sqlite-docs answer a third longer for nothing; bulleted lists of four gained two.
    private const int MaxParagraph = 3;
    private const int MaxSteps = 8;
    private const int MaxItems = 4;

    // Measured on both golden sets (docs/performance.md, "Sentence choice by question type"): a shape bonus of 2.5,
    // three sentences in a page's score, or four sentences to an answer did no better.
    private const double ShapeBonus = 1.8;
    private const double NonStatementFactor = 0.3;
    private const double CarryOver = 0.6;
    private const double SecondSentenceWeight = 0.5;
    // An answer often needs a second sentence that shares fewer of the question's words ("Click Pay now next to the
    // order." after "We keep it for 48 hours so you can pay again."): at 0.45 of the best such sentences were left out;
    // 0.35 gained cases on both golden sets and lost none (docs/performance.md, "A ticket's ask against its story"); 0.2
    // again (docs/performance.md, "Right page, fact not quoted"): the sentence that says what follows ("The backup copy
    // then might contain some old and some new content, and thus be corrupt") rarely repeats the question's words, and
    // on reference pages one that repeats them scores four times as much.
    private const double FollowerShare = 0.2;
    private const double LeadFactor = 1.3;
    // A term only the ticket's story holds, within the chosen page: 0.4 still let the list of documents to send outweigh
    // the refund's timeline (docs/performance.md, "A ticket's ask against its story").
    private const double StoryWeight = 0.2;
    // A question word that only the heading above a sentence holds ("old" and "access" of "No access to your old address"
    // over "Write to us from the new address...") counts for half of one the sentence holds: 0.3 and 0.8 each lost a
    // support-desk case that 0.5 keeps (docs/performance.md, "Heading words and the sentence with most question words").
    private const double HeadingWeight = 0.5;
    // A sentence that states a limit (a range, a minimum, a maximum, a threshold) in the unit of a value the case states
    // ("any amount from 10 to 500 EUR" for "a gift card for 750 EUR") is the one that decides the case's value
    // (docs/performance.md, "A value the case states, read against the page's limits").
    private const double LimitBonus = 1.5;
    private static readonly Analyzer Analyzer = Retrieval.GroundingAnalyzer.Create();

    /// <inheritdoc />
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var request = messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text is { } text ? Read(text) : null;
        var answer = request is null ? new EngineAnswer([]) : Answer(request);
        var reply = new ChatMessage(ChatRole.Assistant, JsonSerializer.Serialize(answer, AnswerProtocol.Json));
        return Task.FromResult(new ChatResponse(reply) { ModelId = Name, FinishReason = ChatFinishReason.Stop });
    }

    private static AnswerRequest? Read(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<AnswerRequest>(json, AnswerProtocol.Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The extractive answer for a request.</summary>
    internal static EngineAnswer Answer(AnswerRequest request)
    {
        var parts = QuestionReading.Parts(request.Question);
        if (parts.Count == 0 || request.Passages.Count == 0)
        {
            return new EngineAnswer([]);
        }

        var sentences = Candidates(request);
        // The values the case states (750 EUR, 8 months, 3 kg): a sentence that states a limit in their unit decides them.
        var stated = StatedValues.Of(request.Question);
        // Each question of the case is answered on its own: a ticket asking about the return window and the label
        // cost needs a sentence for each, not the three best sentences about whichever word is rarest. A sentence that
        // asks two things ("are X on by default, and how do I enable them?") is two questions (QuestionReading.Parts).
        // Each gets what a one-question case gets: measured on both golden sets, two sentences a part missed facts that
        // a part's third sentence held (docs/performance.md, "Cases that ask several things").
        var answers = new List<List<Sentence>>();
        foreach (var part in parts)
        {
            var own = Terms(part.Text);
            // A question that refers back ("...and how do I enable them?") borrows the subject of the one before
            // (QuestionPart.Context); a question with a subject of its own is answered on its own terms.
            IReadOnlyCollection<string> inherited = part.Context is { } borrowed ? Terms(borrowed) : [];
            // The passages come merged from one search per question: each question reads them in the order of its
            // own terms, so the passages found for the second question are not ranked below those of the first.
            var rank = parts.Count == 1 ? null : PassageRanks(request, sentences, [.. own, .. inherited]);
            // A sentence already quoted for an earlier question is not this one's answer: a question that borrows the
            // subject of the one before ("...and when does it checkpoint?") would otherwise find the same sentences
            // best and be left with nothing of its own.
            var quoted = answers.SelectMany(a => a).ToHashSet();
            var best = Best(part.Text, AnswerShapes.AnswerAskOf(part.Text, TermsOf), own, inherited, sentences, MaxSentences, rank, stated, quoted);
            answers.Add(Whole(best, part.Shape, sentences, quoted));
        }

        // An item of a list is quoted with the lead-in that says what the list is ("SQLite supports three different
        // threading modes:" before "Single-thread. In this mode, ..."): the item alone answers half the question.
        foreach (var answer in answers)
        {
            answer.AddRange([.. answer.Where(s => s.Intro is { } intro && !answers.Any(a => a.Contains(intro))).Select(s => s.Intro!).Distinct()]);
        }

        // The questions in the case's order, each answer's sentences in reading order, each sentence once (the same
        // words on two pages are one claim).
        var claims = answers
            .SelectMany((a, i) => Ordered(a, parts[i].Shape))
            .DistinctBy(s => Plain(s.Text), StringComparer.OrdinalIgnoreCase)
            .Select(s => new EngineClaim(
                s.Header is null ? Plain(s.Text) : Plain(s.Header) + " — " + Plain(s.Text),
                s.Header is null
                    ? [new EngineCitation(s.Passage.Id, s.Text)]
                    : [new EngineCitation(s.Passage.Id, s.Header), new EngineCitation(s.Passage.Id, s.Text)]))
            .ToList();
        return new EngineAnswer(claims);
    }

    /// <summary>
    /// An answer's sentences in reading order; for a yes or no question the sentence that settles it comes first (with
    /// the lead-in of its list), then the rest in reading order: "can I raise it to 200?" is answered by "it cannot be
    /// raised above 125" before the page's sentences around it. <paramref name="answer"/> comes best first. Measured on
    /// both golden sets: no answer gains or loses a fact or a citation by the order (docs/performance.md, "Sentence
    /// choice: lead-ins, verdicts and questions of several").
    /// </summary>
    private static IEnumerable<Sentence> Ordered(List<Sentence> answer, AnswerShape shape)
    {
        var reading = answer.OrderBy(s => s.PassageIndex).ThenBy(s => s.Order).ToList();
        // A verdict that goes on from the sentence before it ("But only one process can be making changes...") reads
        // only after it: it keeps its place.
        if (shape != AnswerShape.YesNo || answer.Count < 2 || Continues(answer[0].Text))
        {
            return reading;
        }

        var verdict = answer[0];
        List<Sentence> first = verdict.Intro is { } intro && answer.Contains(intro) ? [intro, verdict] : [verdict];
        return [.. first, .. reading.Where(s => !first.Contains(s))];
    }

    /// <summary>
    /// The chosen sentences made whole, as a person quotes a page: a list item or a short paragraph is quoted with all its
    /// sentences ("...your account is locked for 15 minutes." brings "A reset link unlocks it at once.", "Open the email"
    /// brings "The link works for 60 minutes and only once."), and a chosen step of a numbered list brings every step of
    /// that list, in order: a procedure without its first step cannot be followed, and the step that names the button
    /// ("Click Notify me") is rarely the one that says what the reader must know ("It is not a reservation").
    /// </summary>
    private static List<Sentence> Whole(List<Sentence> chosen, AnswerShape shape, List<Sentence> sentences, IReadOnlySet<Sentence> quoted)
    {
        if (chosen.Count == 0)
        {
            return chosen;
        }

        var whole = new List<Sentence>(chosen);
        if (chosen.FirstOrDefault(s => s.Steps is not null) is { Steps: { } steps } step && ShortList(step.Passage, steps, numbered: true, sentences) is { } procedure)
        {
            whole.AddRange(procedure);
        }

        // A chosen item of a short bulleted list brings the other items: they are the alternatives or the cases beside it
        // ("Keep the cartridge warm", "Use a winter gas mix", "a liquid fuel stove is more reliable").
        // A paragraph of one sentence right before a short bulleted list introduces it, with or without a colon ("Below
        // 0 °C, standard butane gas barely vaporises." before what to do about it).
        foreach (var item in chosen.Where(s => s.Steps is null).ToList())
        {
            var items = item.Items ?? (sentences.Count(o => o.Passage == item.Passage && o.Block == item.Block) == 1 ? NextLine(item.Passage.Text, item.Block) : null);
            if (items is { } start && ShortList(item.Passage, start, numbered: false, sentences) is { } list)
            {
                whole.AddRange(list);
            }
        }

        foreach (var s in whole.ToList())
        {
            var block = sentences.Where(o => o.Passage == s.Passage && o.Block == s.Block).ToList();
            if (s.Steps is not null || block.Count <= MaxParagraph)
            {
                whole.AddRange(block);
            }
        }

        // What is added never quotes a question (a FAQ's own question before its answer) or a line of syntax, and never
        // a sentence an earlier question of the case already has.
        return [.. whole.Distinct().Where(s => chosen.Contains(s) || (!quoted.Contains(s) && !AnswerShapes.IsNonStatement(s.Text)))];
    }

    private sealed record Sentence(PromptPassage Passage, int PassageIndex, int Order, string Text, string? Header, List<string> TermList, bool Lead = false)
    {
        /// <summary>Where the line (paragraph, list item or table row) the sentence stands in starts in its passage.</summary>
        public int Block { get; init; }

        /// <summary>Where the numbered list the sentence is a step of starts in its passage, if it is one.</summary>
        public int? Steps { get; init; }

        /// <summary>Where the list (numbered or not) the sentence is an item of starts in its passage, if it is one.</summary>
        public int? Items { get; init; }

        /// <summary>The lead-in of the list this sentence is an item of ("SQLite supports three threading modes:"), if any.</summary>
        public Sentence? Intro { get; init; }

        public HashSet<string> Terms { get; } = TermList.ToHashSet(StringComparer.Ordinal);

        /// <summary>The words the heading the sentence stands under adds to the page's title ("access", "old"), not its own.</summary>
        public HashSet<string> HeadingTerms { get; init; } = [];
    }

    /// <summary>
    /// The whole sentences, list items and table rows of the passages that may answer: never a heading or a list item's
    /// title (each names a topic and states nothing; its words are the heading words of the sentences under it), a
    /// table's separator row, or a sentence that addresses the assistant (a planted
    /// instruction is data about the page, not an answer).
    /// </summary>
    private static List<Sentence> Candidates(AnswerRequest request)
    {
        var sentences = new List<Sentence>();
        for (var p = 0; p < request.Passages.Count; p++)
        {
            var passage = request.Passages[p];
            var order = 0;
            string? header = null;
            var previousWasRow = false;
            var underHeading = false;
            int? label = null;
            Sentence? intro = null;
            HashSet<string> headingTerms = [];
            // The words of the page's title are every section's topic ("Gift cards" over "Using a gift card"): only the
            // words a section's heading adds say what the section is about.
            var title = Terms(passage.Title).ToHashSet(StringComparer.Ordinal);
            foreach (var span in SentenceSplitter.Split(passage.Text, new TextSpan(0, passage.Text.Length)))
            {
                var lineStart = passage.Text.LastIndexOf('\n', Math.Max(0, span.Start - 1)) + 1;
                // A list item that opens with a label ("- Multi-thread. In this mode, ...") is quoted with its label:
                // the sentence alone does not say which mode "this mode" is.
                var start = label is { } l && l >= lineStart ? l : span.Start;
                label = null;
                var text = passage.Text[start..span.End];
                var isRow = text.StartsWith('|');
                if (isRow && !previousWasRow)
                {
                    // The first row of a table is its header: a row is shown with it, or its cells mean nothing.
                    header = text;
                    previousWasRow = true;
                    continue;
                }

                previousWasRow = isRow;
                // A heading, or the title line of a list item whose text follows beneath it: each names a topic.
                if (passage.Text.AsSpan(lineStart).TrimStart().StartsWith("#", StringComparison.Ordinal) || IsItemTitle(passage.Text, lineStart, span.Start, span.End))
                {
                    underHeading = true;
                    intro = null;
                    var lineEnd = passage.Text.IndexOf('\n', lineStart);
                    headingTerms = [.. Terms(passage.Text[lineStart..(lineEnd < 0 ? passage.Text.Length : lineEnd)]).Where(t => !title.Contains(t))];
                    continue;
                }

                if ((isRow && text.Trim('|', '-', ':', ' ').Length == 0)
                    || InstructionDetector.IsInstruction(text)
                    || Plain(text).Split(' ', StringSplitOptions.RemoveEmptyEntries).Length < 3)
                {
                    label = !isRow && text.EndsWith('.') && passage.Text.AsSpan(lineStart, start - lineStart).Trim().Trim('-').Trim('*').IsWhiteSpace() ? start : null;
                    continue;
                }

                // A row is read with its header ("PayPal | usually within 24 hours" under "Payment | Refund visible"), so
                // the header's words are the row's too.
                // The list the line is an item of, if any: the item's lead-in and its neighbours are read from it.
                var items = ListStart(passage.Text, lineStart, ListItem());
                var inList = items is not null;
                var sentence = new Sentence(passage, p, order++, text, isRow ? header : null, isRow && header is not null ? [.. Terms(text), .. Terms(header)] : Terms(text), underHeading)
                {
                    Intro = inList ? intro : null,
                    Block = lineStart,
                    Steps = ListStart(passage.Text, lineStart, NumberedItem()),
                    Items = items,
                    HeadingTerms = headingTerms,
                };
                sentences.Add(sentence);
                underHeading = false;
                intro = !isRow && text.TrimEnd().EndsWith(':') ? sentence : inList ? intro : null;
            }
        }

        return sentences;
    }

    /// <summary>
    /// Each passage's rank for one question of several: by the IDF-weighted question terms its sentences hold, the
    /// order retrieval gave breaking ties.
    /// </summary>
    private static int[] PassageRanks(AnswerRequest request, List<Sentence> sentences, List<string> question)
    {
        var terms = question.ToHashSet(StringComparer.Ordinal);
        var inPassage = Enumerable.Range(0, request.Passages.Count)
            .Select(p => sentences.Where(s => s.PassageIndex == p).SelectMany(s => s.Terms).ToHashSet(StringComparer.Ordinal))
            .ToList();
        var weight = terms.ToDictionary(t => t, t => Math.Log(1 + (inPassage.Count / (1.0 + inPassage.Count(p => p.Contains(t))))), StringComparer.Ordinal);
        var ranks = new int[request.Passages.Count];
        var order = Enumerable.Range(0, request.Passages.Count).OrderByDescending(p => terms.Where(inPassage[p].Contains).Sum(t => weight[t])).ThenBy(p => p).ToList();
        for (var r = 0; r < order.Count; r++)
        {
            ranks[order[r]] = r;
        }

        return ranks;
    }

    private static List<Sentence> Best(string text, CaseAsk? ask, List<string> own, IReadOnlyCollection<string> context, List<Sentence> sentences, int take, int[]? rank, IReadOnlyList<StatedValue> stated, IReadOnlySet<Sentence>? quoted = null)
    {
        var question = own.Concat(context).ToHashSet(StringComparer.Ordinal);
        if (question.Count == 0 || sentences.Count == 0)
        {
            return [];
        }

        // Rarer words among the candidates say more: "warranty" beats "order". Passages come best first from
        // retrieval, so a sentence of the first passage counts more than an equal one of the fifth.
        var idf = question.ToDictionary(t => t, Idf, StringComparer.Ordinal);
        var focus = own.ToHashSet(StringComparer.Ordinal);
        // Whether each sentence states anything depends on its text alone: read once here, not in every scoring below.
        var nonStatements = sentences.Select(s => IsNonStatement(s.Text)).ToList();
        // What the question asks for, read once: the page's choice, the limits' reading and the followers' order use it.
        var asks = AnswerShapes.Of(text);
        var whole = Scored(asks, idf, question, question, limits: false);
        if (whole.Count == 0)
        {
            return [];
        }

        // The page is the one whose sentences together answer best: a page that states the subject in several
        // sentences is the subject's own page, not one that mentions it in passing. The whole case says which page:
        // the story ("charged twice, both booked") names the situation the page is about.
        var page = whole
            .GroupBy(s => s.Sentence.Passage.Document, StringComparer.Ordinal)
            .OrderByDescending(g => g.Select(s => s.Score).Take(2).Select((v, i) => i == 0 ? v : v * SecondSentenceWeight).Sum())
            .First();

        // Which sentences of that page answer is said by what the case asks ("Please refund the second charge"), not by
        // the story around it ("Both charges are booked on my statement, screenshot attached"): the page's sentences
        // that share the story's words describe the customer's situation, the ones that share the ask's words resolve
        // it. A word only the story has counts for less, and a request for an action is answered by what happens next.
        var chosen = page.ToList();
        var shape = asks;
        // The page is chosen by what the case asks about; within it, the sentence that states a limit in the unit of a
        // value the case states decides it. Counted in the page's choice too, a limit of another page (a warranty's "within
        // 2 years" for "3 months after delivery") took the answer from the page that names the case's problem.
        if (stated.Count > 0)
        {
            var limited = Scored(asks, idf, question, question, limits: true).Where(s => string.Equals(s.Sentence.Passage.Document, page.Key, StringComparison.Ordinal)).ToList();
            chosen = limited.Count > 0 ? limited : chosen;
        }

        if (ask is { HasStory: true } || ask?.Shape == AnswerShape.Outcome)
        {
            HashSet<string> asked = [.. TermsOf(ask.Text), .. context];
            HashSet<string> terms = [.. question, .. asked];
            var weight = terms.ToDictionary(t => t, t => ask.HasStory && !asked.Contains(t) ? Idf(t) * StoryWeight : Idf(t), StringComparer.Ordinal);
            var onPage = Scored(ask.Shape, weight, asked, terms, limits: true).Where(s => string.Equals(s.Sentence.Passage.Document, page.Key, StringComparison.Ordinal)).ToList();
            chosen = onPage.Count > 0 ? onPage : chosen;
            shape = onPage.Count > 0 ? ask.Shape : shape;
        }

        // Within the page, the sentence that holds the most of the question's words is not outscored by a shorter one
        // that holds fewer: the length that dilutes its score is what the answer needs ("For this latter group, SQLite
        // supports a strict typing mode, as of version 3.37.0 (2021-11-27), that is enabled separately for each table."
        // for "since which version does SQLite support STRICT tables?"). The page is still chosen as before.
        var most = chosen.Max(s => s.Matches);
        var fewer = chosen.Where(s => s.Matches < most).Select(s => s.Score).DefaultIfEmpty(0).Max();
        chosen = most < 2 ? chosen : [.. chosen.Select(s => s.Matches == most ? s with { Score = Math.Max(s.Score, fewer) } : s).OrderByDescending(s => s.Score)];
        chosen = quoted is { Count: > 0 } ? [.. chosen.Where(s => !quoted.Contains(s.Sentence))] : chosen;
        if (chosen.Count == 0)
        {
            return [];
        }

        var best = chosen[0];
        var valueQuestion = shape is AnswerShape.Size or AnswerShape.Number or AnswerShape.Duration or AnswerShape.Amount;
        var followers = chosen.Where(s => FollowerScore(s.Sentence, s.Matches, s.Score) >= best.Score * FollowerShare).Select(s => s.Sentence).ToList();
        // A question that asks for a value (a size, a number, a duration, an amount) is answered by a sentence that states
        // one: after the best sentence, the page's sentences that state a value of the asked kind take the answer's
        // places before those that only repeat the question's words ("any site that gets fewer than 100K hits/day
        // should work fine with SQLite" for "how busy can a website be", over "The amount of web traffic that SQLite
        // can handle depends on how heavily the website uses its database"). The share still decides which may follow.
        if (valueQuestion)
        {
            // A stable order: each group keeps its order by score.
            followers = [followers[0], .. followers.Skip(1).OrderBy(s => AnswerShapes.Fits(shape, s.Text) ? 0 : 1)];
        }

        return Units(followers, sentences, take);

        // A follower that states a value of the asked kind is weighed, for the share only, as if it shared one more of the
        // question's words: a reference page states a limit in words of its own ("The maximum size of a database file is
        // 4294967294 pages." for "the maximum number of rows") while the sentences that repeat the question take the share.
        // The best sentence, and so the page, stay as scored (docs/performance.md, "A value for a value question: the
        // follower share").
        double FollowerScore(Sentence s, int matches, double score) =>
            valueQuestion && matches > 0 && AnswerShapes.Fits(shape, s.Text) ? score * (matches + 1.0) / matches : score;

        double Idf(string term) => Math.Log(1 + (sentences.Count / (1.0 + sentences.Count(s => s.Terms.Contains(term)))));

        List<(Sentence Sentence, int Matches, double Factor, double Score)> Scored(AnswerShape shape, Dictionary<string, double> weight, HashSet<string> asked, HashSet<string> question, bool limits)
        {
            var matches = sentences.Select(s => s.Terms.Count(question.Contains)).ToList();
            // A question or a lead-in is quoted only when no statement mentions the question's terms: a FAQ's own question
            // shares every word with the customer's and would otherwise set the bar its answer cannot reach.
            // A lead-in or a syntax line that names the values ("SQLite supports three different threading modes:", "PRAGMA
            // synchronous = 0 | OFF | 1 | NORMAL;") is the answer to "what modes are there", though.
            var statements = sentences.Select((s, i) => !nonStatements[i] || NamesValues(shape, s.Text)).ToList();
            var onlyStatements = matches.Where((m, i) => statements[i]).Any(m => m >= 1);
            // One shared word is chance; when some sentence shares two or more with the question, only those qualify.
            var needed = question.Count >= 2 && matches.Where((m, i) => statements[i] || !onlyStatements).Any(m => m >= 2) ? 2 : 1;
            var lexical = sentences.Select(s => Lexical(s, rank?[s.PassageIndex] ?? s.PassageIndex, question, weight)).ToList();
            // A sentence goes on with the one before it: "The default value of this macro is 1 billion" answers what the
            // sentence naming the macro is about, and the sentence after a FAQ's question is its answer, so part of the
            // predecessor's score carries over (same passage only).
            // The same holds for a description without a subject under a line of syntax or a title: "Query or change the
            // setting of the busy timeout." is what "PRAGMA busy_timeout = milliseconds;" does.
            var describes = sentences.Select((s, i) => i > 0 && sentences[i - 1].Passage == s.Passage && AnswerShapes.IsSyntaxOrTitle(sentences[i - 1].Text) && AnswerShapes.OpensWithVerb(s.Text)).ToList();
            var decides = sentences.Select((s, i) => limits && stated.Count > 0 && !nonStatements[i] && StatedValues.Decides(stated, s.Text, s.Header)).ToList();
            var carried = sentences.Select((s, i) => i > 0 && sentences[i - 1].Passage == s.Passage && (Continues(s.Text) || sentences[i - 1].Text.TrimEnd().EndsWith('?') || describes[i])
                ? Math.Max(lexical[i], CarryOver * lexical[i - 1]) : lexical[i]).ToList();
            return sentences
                .Select((s, i) => (Sentence: s, Matches: Math.Max(matches[i], carried[i] > lexical[i] ? matches[i - 1] : 0), Factor: ShapeFactor(shape, s, nonStatements[i], focus, asked, describes[i]) * (decides[i] ? LimitBonus : 1), Lexical: carried[i]))
                .Select(s => (s.Sentence, s.Matches, s.Factor, Score: s.Lexical * s.Factor))
                // A sentence with the answer's shape qualifies with one shared word fewer: "A reset link unlocks it at once"
                // answers "how long is my account locked?" in words of its own.
                .Where((s, i) => s.Matches >= (s.Factor > 1 ? Math.Max(1, needed - 1) : needed) && s.Score > 0 && (statements[i] || !onlyStatements))
                .OrderByDescending(s => s.Score)
                .ToList();
        }
    }

    /// <summary>
    /// The best sentences, up to <paramref name="take"/> units of the page: a sentence whose paragraph or list the answer
    /// quotes whole anyway (<see cref="Whole"/>) takes no place of its own, so two items of one short list ("the date and
    /// amount of both charges;", "a screenshot or PDF of your statement") leave room for the sentence of another section
    /// that the question also needs.
    /// </summary>
    private static List<Sentence> Units(IEnumerable<Sentence> ranked, List<Sentence> sentences, int take)
    {
        var taken = new List<Sentence>();
        var units = new HashSet<(PromptPassage, int, int)>();
        foreach (var s in ranked)
        {
            var unit = Unit(s, sentences);
            if (units.Contains(unit))
            {
                taken.Add(s);
                continue;
            }

            if (units.Count == take)
            {
                break;
            }

            units.Add(unit);
            taken.Add(s);
        }

        return taken;
    }

    /// <summary>What <see cref="Whole"/> quotes with a sentence: its numbered list, its short bulleted list, its short paragraph, or the sentence alone.</summary>
    private static (PromptPassage Passage, int Kind, int Start) Unit(Sentence s, List<Sentence> sentences)
    {
        if (s.Steps is { } steps && ShortList(s.Passage, steps, numbered: true, sentences) is not null)
        {
            return (s.Passage, 1, steps);
        }

        if (s.Steps is null && s.Items is { } items && ShortList(s.Passage, items, numbered: false, sentences) is not null)
        {
            return (s.Passage, 2, items);
        }

        return sentences.Count(o => o.Passage == s.Passage && o.Block == s.Block) <= MaxParagraph ? (s.Passage, 3, s.Block) : (s.Passage, 4, s.Order);
    }

    /// <summary>
    /// The sentences of the list starting at <paramref name="start"/> in <paramref name="passage"/> (its steps when
    /// <paramref name="numbered"/>, else its bulleted items), or null when it is longer than <see cref="Whole"/> quotes
    /// whole (<see cref="MaxSteps"/> steps, <see cref="MaxItems"/> items).
    /// </summary>
    private static List<Sentence>? ShortList(PromptPassage passage, int start, bool numbered, List<Sentence> sentences)
    {
        var list = sentences.Where(o => o.Passage == passage && (numbered ? o.Steps == start : o.Steps is null && o.Items == start)).ToList();
        return list.Select(o => o.Block).Distinct().Count() <= (numbered ? MaxSteps : MaxItems) ? list : null;
    }

    /// <summary>The IDF-weighted question terms of a sentence, for its length, discounted by its passage's rank.</summary>
    private static double Lexical(Sentence s, int passageRank, HashSet<string> question, Dictionary<string, double> weight) =>
        (1.0 / (1 + (0.25 * passageRank)))
        * (s.Terms.Where(question.Contains).Sum(t => weight[t]) + (HeadingWeight * s.HeadingTerms.Where(t => question.Contains(t) && !s.Terms.Contains(t)).Sum(t => weight[t])))
        / Math.Sqrt(Math.Max(4, s.Terms.Count));

    /// <summary>
    /// How much a sentence's shape counts for the question: a sentence with the answer's shape (a duration for "how
    /// long", a definition of the subject for "what is") over one that only mentions the subject; never a question or
    /// a lead-in that ends in a colon (<paramref name="nonStatement"/>: <see cref="IsNonStatement"/> of its text).
    /// </summary>
    private static double ShapeFactor(AnswerShape shape, Sentence s, bool nonStatement, HashSet<string> focus, HashSet<string> asked, bool describesPrevious)
    {
        if (nonStatement)
        {
            return NamesValues(shape, s.Text) ? ShapeBonus : NonStatementFactor;
        }

        // "What is X" is answered best by "X is a...", "what does X do" by "X rebuilds..." or by the description under
        // X's syntax line; each takes the other as second best.
        var factor = shape switch
        {
            AnswerShape.Open => 1,
            // What happens next, to the thing asked for: "it is refunded within 3-5 working days" for "please refund".
            AnswerShape.Outcome => AnswerShapes.Fits(shape, s.Text) && s.Terms.Overlaps(asked) ? ShapeBonus : 1,
            AnswerShape.Definition => describesPrevious ? ShapeBonus : AnswerShapes.Defines(s.Text, TermsOf, focus) switch { 2 => ShapeBonus * 1.4, 1 => ShapeBonus, _ => 1 },
            AnswerShape.Action => describesPrevious ? ShapeBonus * 1.4 : AnswerShapes.Defines(s.Text, TermsOf, focus) switch { 1 => ShapeBonus * 1.4, 2 => ShapeBonus, _ => 1 },
            _ => AnswerShapes.Fits(shape, s.Text) ? ShapeBonus : 1,
        };

        // The first sentence under a heading, when it has the answer's shape, is where a reference page says what its
        // section is about.
        return factor > 1 && s.Lead && shape is AnswerShape.Definition or AnswerShape.Action or AnswerShape.Values ? factor * LeadFactor : factor;
    }

    /// <summary>
    /// A sentence that states nothing (<see cref="AnswerShapes.IsNonStatement"/>), or a line of code that carries a C
    /// comment ("sqlite3 *pDb, /* Database to back up */"): an argument of a declaration, whose comment repeats the
    /// question's words without answering it. Measured on both golden sets: such a line of a lower-ranked passage
    /// outscored the first-ranked page's sentences in words (docs/performance.md, "Which passage the engine quotes").
    /// </summary>
    private static bool IsNonStatement(string text) => AnswerShapes.IsNonStatement(text) || CodeComment().IsMatch(text);

    [System.Text.RegularExpressions.GeneratedRegex(@"/\*.*\*/")]
    private static partial System.Text.RegularExpressions.Regex CodeComment();

    /// <summary>A lead-in or a syntax line that lists the values a "what values" question asks for.</summary>
    private static bool NamesValues(AnswerShape shape, string text) =>
        shape == AnswerShape.Values && !text.TrimEnd().EndsWith('?') && AnswerShapes.Fits(shape, text);

    /// <summary>Where the first line that is not blank after the line at <paramref name="lineStart"/> starts, or null.</summary>
    private static int? NextLine(string text, int lineStart)
    {
        var end = text.IndexOf('\n', lineStart);
        while (end >= 0 && end + 1 < text.Length && text[end + 1] == '\n')
        {
            end++;
        }

        return end >= 0 && end + 1 < text.Length ? end + 1 : null;
    }

    /// <summary>Where the list of <paramref name="item"/> lines that the line at <paramref name="lineStart"/> is an item of starts, or null.</summary>
    private static int? ListStart(string text, int lineStart, System.Text.RegularExpressions.Regex item)
    {
        if (!item.IsMatch(text.AsSpan(lineStart)))
        {
            return null;
        }

        var start = lineStart;
        while (start > 0)
        {
            var previous = text.LastIndexOf('\n', Math.Max(0, start - 2)) + 1;
            if (previous >= start || !item.IsMatch(text.AsSpan(previous)))
            {
                break;
            }

            start = previous;
        }

        return start;
    }

    /// <summary>
    /// A list item's first line that is the title of its item: it ends without a stop and the item's own text follows
    /// on the next lines ("- Maximum length of a string or BLOB" over "  The maximum number of bytes in a string..."). It
    /// names a topic and states nothing, as a heading does.
    /// </summary>
    private static bool IsItemTitle(string text, int lineStart, int start, int end)
    {
        var lineEnd = text.IndexOf('\n', lineStart);
        if (lineEnd < 0 || !ListItem().IsMatch(text.AsSpan(lineStart)))
        {
            return false;
        }

        var line = text.AsSpan(lineStart, lineEnd - lineStart);
        var marker = ListItem().Match(text, lineStart, lineEnd - lineStart);
        if (start > lineStart + marker.Length || end < lineStart + line.TrimEnd().Length || line.TrimEnd()[^1] is '.' or '!' or '?' or ':' or ';' or ',')
        {
            return false;
        }

        var next = text.AsSpan(lineEnd + 1);
        var nextEnd = next.IndexOf('\n');
        var nextLine = nextEnd < 0 ? next : next[..nextEnd];
        return nextLine.Length > 2 && nextLine.StartsWith("  ") && !nextLine.Trim().IsEmpty && !ListItem().IsMatch(nextLine);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^[ \t]*\d{1,2}[.)]\s")]
    private static partial System.Text.RegularExpressions.Regex NumberedItem();

    [System.Text.RegularExpressions.GeneratedRegex(@"^[ \t]*([-*+]|\d{1,2}[.)])\s")]
    private static partial System.Text.RegularExpressions.Regex ListItem();

    /// <summary>A sentence that refers back to the one before it ("this macro", "it", "in this mode", "however").</summary>
    private static bool Continues(string text) => ContinuesPattern().IsMatch(text);

    [System.Text.RegularExpressions.GeneratedRegex(@"^\W*(it|its|this|that|these|those|they|their|such|there|here|however|but|so|thus|hence|also|then|otherwise|instead|in\s+(this|that|these|such)|the\s+default)\b|\b(this|that|these|those|such)\s+\w+", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex ContinuesPattern();

    /// <summary>The sentence as a person reads it: Markdown emphasis, links and table bars taken out.</summary>
    internal static string Plain(string text)
    {
        var plain = MarkdownLink().Replace(text, "$1").Replace("**", "", StringComparison.Ordinal).Replace("`", "", StringComparison.Ordinal);
        if (plain.StartsWith('|'))
        {
            plain = string.Join("; ", plain.Trim('|').Split('|').Select(c => c.Trim()).Where(c => c.Length > 0));
        }

        return string.Join(' ', plain.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\[([^\]]*)\]\([^)]*\)")]
    private static partial System.Text.RegularExpressions.Regex MarkdownLink();

    private static IReadOnlyCollection<string> TermsOf(string text) => Terms(text);

    private static List<string> Terms(string text)
    {
        var terms = new List<string>();
        using var stream = Analyzer.GetTokenStream("text", text);
        var term = stream.AddAttribute<ICharTermAttribute>();
        stream.Reset();
        while (stream.IncrementToken())
        {
            terms.Add(term.ToString());
        }

        stream.End();
        return terms;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata(Name) : serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
