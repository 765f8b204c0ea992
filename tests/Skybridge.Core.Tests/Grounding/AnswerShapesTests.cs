using Skybridge.Core.Grounding;

namespace Skybridge.Core.Tests.Grounding;

/// <summary>
/// The one reader of what kind of statement answers a question (<see cref="AnswerShapes"/>): the shape a question asks
/// for, whether a sentence has it, and whether a sentence defines the subject. The built-in engine ranks sentences by
/// it and a multi-question case hands over a part that no claim of that shape addresses.
/// </summary>
public sealed class AnswerShapesTests
{
    [Theory]
    [InlineData("How long does a refund take?", nameof(AnswerShape.Duration))]
    [InlineData("How much does express delivery cost?", nameof(AnswerShape.Amount))]
    [InlineData("How many databases can be attached by default?", nameof(AnswerShape.Number))]
    [InlineData("What is the maximum page size?", nameof(AnswerShape.Number))]
    [InlineData("Since when is the feature supported?", nameof(AnswerShape.Time))]
    [InlineData("Which version added window functions?", nameof(AnswerShape.Time))]
    [InlineData("Can I return worn boots?", nameof(AnswerShape.YesNo))]
    [InlineData("Are foreign keys on by default?", nameof(AnswerShape.YesNo))]
    [InlineData("What is the default cache size?", nameof(AnswerShape.Number))]
    [InlineData("Is there a limit on how many tables a schema holds?", nameof(AnswerShape.Number))]
    [InlineData("Is the cache shared between connections?", nameof(AnswerShape.YesNo))]
    [InlineData("What is a partial index?", nameof(AnswerShape.Definition))]
    [InlineData("What does the vacuum command do?", nameof(AnswerShape.Action))]
    [InlineData("How do I enable the cache?", nameof(AnswerShape.Procedure))]
    [InlineData("Why did my parcel go back?", nameof(AnswerShape.Open))]
    [InlineData("How big can an SQLite database get?", nameof(AnswerShape.Size))]
    [InlineData("How much memory can the cache use?", nameof(AnswerShape.Size))]
    public void Of_ReadsTheAnswerShape_FromTheQuestionWording(string question, string expected) =>
        Assert.Equal(expected, AnswerShapes.Of(question).ToString());

    [Theory]
    [InlineData(nameof(AnswerShape.Number), "The limit is set to 10 by default.", true)]
    [InlineData(nameof(AnswerShape.Number), "The limit can be changed at compile time.", false)]
    [InlineData(nameof(AnswerShape.Amount), "Express delivery costs 19.90 EUR.", true)]
    [InlineData(nameof(AnswerShape.Amount), "Express delivery is available in most countries.", false)]
    [InlineData(nameof(AnswerShape.Time), "The feature was added in version 3.25.0.", true)]
    [InlineData(nameof(AnswerShape.YesNo), "Worn boots cannot be returned.", true)]
    [InlineData(nameof(AnswerShape.YesNo), "Boots come in many colours.", false)]
    [InlineData(nameof(AnswerShape.Procedure), "Use the settings page to turn it on.", true)]
    [InlineData(nameof(AnswerShape.Size), "The largest database is about 281 terabytes.", true)]
    [InlineData(nameof(AnswerShape.Size), "A page holds 65536 bytes.", true)]
    [InlineData(nameof(AnswerShape.Size), "The 4-byte integer at offset 28 stores the size of the database in pages.", false)]
    [InlineData(nameof(AnswerShape.Size), "The deposit is 250 EUR.", true)]
    public void Fits_TellsWhetherASentenceHasTheShape(string shape, string sentence, bool expected) =>
        Assert.Equal(expected, AnswerShapes.Fits(Enum.Parse<AnswerShape>(shape), sentence));

    [Theory]
    [InlineData("A partial index is an index over a subset of the rows of a table.", 2)]
    [InlineData("The index command rebuilds every index of the table.", 1)]
    [InlineData("If a table has a WHERE clause, then it is a partial index.", 0)]
    [InlineData("What is a partial index?", 0)]
    public void Defines_RecognisesASentenceThatOpensWithTheSubjectAndSaysWhatItIs(string sentence, int expected)
    {
        var focus = new HashSet<string>(["partial", "index"], StringComparer.Ordinal);
        Assert.Equal(expected, AnswerShapes.Defines(sentence, text => [.. text.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries)], focus));
    }

    [Theory]
    [InlineData("What journal modes are there?", nameof(AnswerShape.Values))]
    [InlineData("What values does PRAGMA synchronous accept?", nameof(AnswerShape.Values))]
    [InlineData("Which payment methods do you accept?", nameof(AnswerShape.Values))]
    [InlineData("What page sizes are allowed?", nameof(AnswerShape.Values))]
    [InlineData("What does json_extract do?", nameof(AnswerShape.Action))]
    [InlineData("What is a virtual table?", nameof(AnswerShape.Definition))]
    [InlineData("What is the maximum page size?", nameof(AnswerShape.Number))]
    public void Of_ReadsActionAndValuesQuestions(string question, string expected) =>
        Assert.Equal(expected, AnswerShapes.Of(question).ToString());

    [Theory]
    [InlineData("PRAGMA schema.journal_mode = DELETE | TRUNCATE | PERSIST | MEMORY | WAL | OFF", true)]
    [InlineData("The journal mode is one of DELETE, TRUNCATE, PERSIST, MEMORY, WAL or OFF.", true)]
    [InlineData("SQLite supports three different threading modes:", true)]
    [InlineData("The size of a page is a power of two between 512 and 65536 inclusive.", true)]
    [InlineData("The new journal mode is returned.", false)]
    public void Fits_ValuesIsASentenceThatNamesSeveralValues(string sentence, bool expected) =>
        Assert.Equal(expected, AnswerShapes.Fits(AnswerShape.Values, sentence));

    [Theory]
    [InlineData("A partial index will fail if there is an open transaction.", 0)]
    [InlineData("Using a partial index is an alternative to a full one.", 0)]
    [InlineData("The size of a partial index is a small part of the table.", 0)]
    [InlineData("A partial index is not standard SQL.", 0)]
    [InlineData("The partial_index(X,Y,...) returns the rows of X.", 1)]
    public void Defines_NeedsTheSubjectItselfBeforeTheVerb(string sentence, int expected)
    {
        var focus = new HashSet<string>(["partial", "index", "partial_index"], StringComparer.Ordinal);
        Assert.Equal(expected, AnswerShapes.Defines(sentence, text => [.. text.ToLowerInvariant().Split([' ', '('], StringSplitOptions.RemoveEmptyEntries)], focus));
    }

    [Theory]
    [InlineData("PRAGMA busy_timeout = milliseconds;", true)]
    [InlineData("rc = sqlite3_open(\":memory:\", &db);", true)]
    [InlineData("CREATE VIRTUAL TABLE", true)]
    [InlineData("How SQLite Is Tested", true)]
    [InlineData("A virtual table is an object.", false)]
    [InlineData("| PayPal | within 24 hours |", false)]
    [InlineData("Refunds are sent within 14 days", false)]
    [InlineData("a tent pole that snaps while pitching, without wind or load;", false)]
    public void IsSyntaxOrTitle_RecognisesLinesThatNameWithoutStating(string sentence, bool expected) =>
        Assert.Equal(expected, AnswerShapes.IsSyntaxOrTitle(sentence));

    [Theory]
    [InlineData("How long do I have to send back boots?", nameof(AnswerShape.Duration))]
    [InlineData("When will my refund arrive?", nameof(AnswerShape.Time))]
    [InlineData("In WAL mode, when does it checkpoint?", nameof(AnswerShape.Time))]
    [InlineData("Which version added STRICT tables?", nameof(AnswerShape.Time))]
    [InlineData("How much does the return label cost?", nameof(AnswerShape.Amount))]
    [InlineData("Can I pay with PayPal?", nameof(AnswerShape.YesNo))]
    [InlineData("Is it possible to change the address after ordering?", nameof(AnswerShape.YesNo))]
    [InlineData("The buckle snapped on the first hike.", nameof(AnswerShape.Open))]
    [InlineData("Wie lange dauert die Erstattung?", nameof(AnswerShape.Duration))]
    [InlineData("¿Cuánto tiempo tarda el reembolso?", nameof(AnswerShape.Duration))]
    [InlineData("Combien de temps faut-il?", nameof(AnswerShape.Duration))]
    [InlineData("Hoe lang duurt het?", nameof(AnswerShape.Duration))]
    [InlineData("Wie viel kostet der Versand?", nameof(AnswerShape.Amount))]
    [InlineData("Was kostet das Etikett?", nameof(AnswerShape.Amount))]
    [InlineData("¿Cuánto cuesta el envío?", nameof(AnswerShape.Amount))]
    [InlineData("Combien pour la livraison?", nameof(AnswerShape.Amount))]
    [InlineData("Hoeveel moet ik betalen?", nameof(AnswerShape.Amount))]
    public void Of_ReadsTheShapeOfSupportQuestions_InTheLanguagesCasesComeIn(string question, string expected) =>
        Assert.Equal(expected, AnswerShapes.Of(question).ToString());
}
