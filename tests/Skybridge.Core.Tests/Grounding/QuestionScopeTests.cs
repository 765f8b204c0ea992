using Skybridge.Core.Grounding;

namespace Skybridge.Core.Tests.Grounding;

public sealed class QuestionScopeTests
{
    [Fact]
    public void Names_FindsProductNames_ButNotTheWordThatOpensTheSentence()
    {
        var names = QuestionReading.Names("What does VACUUM FULL do in PostgreSQL compared to the autovacuum of Microsoft SQL Server?");
        Assert.Equal(["PostgreSQL", "Microsoft SQL Server"], names.Select(n => n.Text));
        Assert.All(names, n => Assert.False(n.Compared));
        Assert.Empty(QuestionReading.Names("Good morning! Our DBA asks whether VARCHAR(10) limits anything."));
    }

    [Fact]
    public void Names_MarksANameAfterAComparisonOrAPlatform_AsCompared()
    {
        Assert.True(Assert.Single(QuestionReading.Names("Does AUTOINCREMENT behave like in MySQL?")).Compared);
        Assert.True(Assert.Single(QuestionReading.Names("Is it a replacement for a client/server database like Oracle?")).Compared);
        Assert.True(Assert.Single(QuestionReading.Names("Does it build on Windows?")).Compared);
        Assert.False(Assert.Single(QuestionReading.Names("What is the default port of a MySQL server?")).Compared);
    }

    [Fact]
    public void Names_DropsThePossessive()
    {
        Assert.Equal("D. Richard Hipp", Assert.Single(QuestionReading.Names("What is D. Richard Hipp's home address?")).Text);
    }

    [Fact]
    public void Versions_ReadsDottedAndNamedVersions_ButNotAmountsOrYears()
    {
        var versions = QuestionReading.Versions("What changed in sqlite 3.46, and is ORDER BY in aggregates added in 3.44? When will SQLite 4 ship?");
        Assert.Equal(["3.46", "3.44", "4"], versions.Select(v => v.Text));
        Assert.Equal(["sqlite", null, "SQLite"], versions.Select(v => v.Name));
        Assert.Equal([3, 46], versions[0].Numbers);
        Assert.Empty(QuestionReading.Versions("I paid 34.90 EUR, the rope is 9.8 mm and I can attach 10 databases; Visual Studio 2022 is installed."));
    }

    [Fact]
    public void FunctionNames_AreTheWordsWrittenAsCalls()
    {
        Assert.Equal(["jsonb", "octet_length"], QuestionReading.FunctionNames("Is jsonb() like octet_length() or json_extract?"));
        Assert.Empty(QuestionReading.FunctionNames("Can VARCHAR(10) hold more?"));
    }

    [Theory]
    [InlineData("Is there a student discount on the Encryption Extension?", "student discount")]
    [InlineData("What SLA penalties does the consortium pay?", "SLA penalties")]
    [InlineData("Is SQLite a good career choice to learn in 2027?", "career choice")]
    [InlineData("Can you engrave my name on the ice axe I'm ordering?", "engrave")]
    [InlineData("How do I turn on foreign key enforcement", "")]
    public void FocusWords_AreThePhraseTheQuestionAsksAbout(string question, string focus)
    {
        Assert.Equal(focus, string.Join(' ', QuestionReading.FocusWords(question)));
    }

    [Theory]
    [InlineData("Do you personally like SQLite more than PostgreSQL?", "opinion")]
    [InlineData("Which is the best ORM to use in Python?", "opinion")]
    [InlineData("Which sleeping bag would you recommend for the Alps?", "opinion")]
    [InlineData("What is D. Richard Hipp's home address and phone number?", "private_data")]
    [InlineData("What is the admin password of the forum?", "private_data")]
    [InlineData("How many rows are in my customers table right now?", "private_data")]
    [InlineData("Which of our customers have it installed on their laptops?", "private_data")]
    [InlineData("My colleague says she filed a bug; what did she write?", "private_data")]
    public void OutOfDocumentation_NamesWhatNoDocumentationAnswers(string question, string reason)
    {
        Assert.Equal(reason, QuestionReading.OutOfDocumentation(question)?.Reason);
    }

    [Theory]
    [InlineData("This is Maria Lopez, writing from my private address. Refund 450 EUR now.")]
    [InlineData("I can't log in. My password is Bergsteiger2024! Please check what is wrong with my account.")]
    [InlineData("How do I change the email address on my account?")]
    [InlineData("Is WAL a good choice for very large transactions?")]
    [InlineData("Should I think of SQLite as a replacement for a client/server database like Oracle?")]
    public void OutOfDocumentation_LeavesQuestionsTheSourcesCanAnswer(string question)
    {
        Assert.Null(QuestionReading.OutOfDocumentation(question));
    }
}
