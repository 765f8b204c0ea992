using Skybridge.Core.Access;
using Skybridge.Core.Manifests;

namespace Skybridge.Core.Tests.Access;

public sealed class SubjectTests
{
    [Theory]
    [InlineData("user:maria.lopez", SubjectKind.Person, "maria.lopez")]
    [InlineData("group:support-leads", SubjectKind.Group, "support-leads")]
    [InlineData("role:responder", SubjectKind.Role, "responder")]
    [InlineData("user:*", SubjectKind.AnyPerson, "*")]
    public void TryParse_PrefixedForms_RoundTrip(string text, SubjectKind kind, string name)
    {
        Assert.True(Subject.TryParse(text, out var subject));
        Assert.Equal(new Subject(kind, name), subject);
        Assert.Equal(text, subject.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("maria")]
    [InlineData("user:")]
    [InlineData("team:x")]
    [InlineData("user:ma ria")]
    [InlineData("role:*")]
    [InlineData("group:*")]
    public void TryParse_AnythingElse_IsRefused(string? text) => Assert.False(Subject.TryParse(text, out _));

    [Fact]
    public void OfToken_UserPrefix_IsAPerson_AndAClientIdIsAnAgent()
    {
        Assert.Equal(Subject.Person("maria"), Subject.OfToken("user:maria"));
        Assert.Equal(Subject.Agent("support-desk/r1"), Subject.OfToken("support-desk/r1"));
        Assert.Equal("support-desk/r1", Subject.Agent("support-desk/r1").ToString());
    }

    [Fact]
    public void Principal_ParsesThroughSubject_PersonsAndGroupsOnly()
    {
        Assert.True(Principal.TryParse("group:leads", out var group));
        Assert.Equal(Subject.Group("leads"), group.Subject);
        Assert.False(Principal.TryParse("role:responder", out _));
        Assert.False(Principal.TryParse("user:*", out _));
    }
}
