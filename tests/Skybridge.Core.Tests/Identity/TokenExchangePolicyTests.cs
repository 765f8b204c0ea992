using Skybridge.Core.Identity;
using Skybridge.Core.Manifests;

namespace Skybridge.Core.Tests.Identity;

public sealed class TokenExchangePolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private static readonly IdentitySettings Settings = new();

    private static AccessTokenClaims Subject(string scope = "cases:read cases:write", string role = "responder", ActorClaim? actor = null, string subject = "support-desk/r1", string clientId = "support-desk/r1", int minutes = 5) => new()
    {
        Issuer = "https://sky.example", Subject = subject, Audiences = ["https://sky.example/api"], ClientId = clientId,
        Scope = ScopeSet.TryParse(scope, out var s) ? s : throw new ArgumentException(scope), IssuedAt = Now, ExpiresAt = Now.AddMinutes(minutes),
        TokenId = "t1", KeyThumbprint = "jkt", Workflow = "support-desk", Role = role, Actor = actor,
    };

    private static ActingAgent Researcher(params string[] actsFor) =>
        new("support-desk/s1", "support-desk", new AgentRole { Role = "researcher", Scopes = ["cases:read"], ActsFor = actsFor.Length == 0 ? ["role:responder"] : actsFor });

    private static ScopeSet Scope(string text) => ScopeSet.TryParse(text, out var s) ? s : throw new ArgumentException(text);

    [Fact]
    public void Decide_Narrows_ToBothTheSubjectAndTheRole_AndNestsTheActor()
    {
        var decision = TokenExchangePolicy.Decide(Subject(), Researcher(), false, null, null, Now, Settings);
        Assert.True(decision.IsAllowed, decision.Error?.Description);
        var token = decision.Token!;
        Assert.Equal("cases:read", token.Scope.ToString());
        Assert.Equal("support-desk/r1", token.Subject);
        Assert.Equal(["support-desk/s1"], token.Actor!.Chain());
        Assert.Equal("researcher", token.Role);
    }

    [Fact]
    public void Decide_RequestedScopeBeyondEither_IsRefusedNotTrimmed()
    {
        var decision = TokenExchangePolicy.Decide(Subject(), Researcher(), false, Scope("cases:read cases:write"), null, Now, Settings);
        Assert.Equal(OAuthError.InvalidScope, decision.Error!.Code);
        Assert.Contains("cases:write", decision.Error.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_NeverOutlivesTheSubject()
    {
        var decision = TokenExchangePolicy.Decide(Subject(minutes: 1), Researcher(), false, null, null, Now, Settings);
        Assert.Equal(Now.AddMinutes(1), decision.Token!.ExpiresAt);
    }

    [Fact]
    public void Decide_ActorNotAllowedByTheManifest_IsUnauthorized()
    {
        var decision = TokenExchangePolicy.Decide(Subject(role: "billing"), Researcher(), false, null, null, Now, Settings);
        Assert.Equal(OAuthError.UnauthorizedClient, decision.Error!.Code);
    }

    [Fact]
    public void Decide_People_NeedUserStarAndARoleOrTheirOwnName()
    {
        var person = Subject(role: null!, subject: "user:maria", clientId: "skybridge-cli") with { Role = null, Workflow = null };
        Assert.False(TokenExchangePolicy.Decide(person, Researcher("user:*"), subjectPersonMaySubmit: false, null, null, Now, Settings).IsAllowed);
        Assert.True(TokenExchangePolicy.Decide(person, Researcher("user:*"), subjectPersonMaySubmit: true, null, null, Now, Settings).IsAllowed);
        Assert.True(TokenExchangePolicy.Decide(person, Researcher("user:maria"), subjectPersonMaySubmit: false, null, null, Now, Settings).IsAllowed);
        Assert.False(TokenExchangePolicy.Decide(person, Researcher("user:jonas"), subjectPersonMaySubmit: true, null, null, Now, Settings).IsAllowed);
    }

    [Fact]
    public void Decide_DepthLimit_StopsLongChains()
    {
        var deep = Subject(actor: new ActorClaim("support-desk/a", new ActorClaim("support-desk/b")), role: "responder");
        var settings = Settings with { MaxDelegationDepth = 2 };
        var decision = TokenExchangePolicy.Decide(deep, Researcher(), false, null, null, Now, settings);
        Assert.Equal(OAuthError.InvalidGrant, decision.Error!.Code);
        Assert.Contains("at most 2", decision.Error.Description, StringComparison.Ordinal);
        Assert.True(TokenExchangePolicy.Decide(deep, Researcher(), false, null, null, Now, Settings with { MaxDelegationDepth = 3 }).IsAllowed);
    }

    [Fact]
    public void Decide_OtherWorkflowOrOwnToken_IsInvalidGrant()
    {
        Assert.Equal(OAuthError.InvalidGrant, TokenExchangePolicy.Decide(Subject() with { Workflow = "billing" }, Researcher(), false, null, null, Now, Settings).Error!.Code);
        Assert.Equal(OAuthError.InvalidGrant, TokenExchangePolicy.Decide(Subject(clientId: "support-desk/s1"), Researcher(), false, null, null, Now, Settings).Error!.Code);
    }

    [Fact]
    public void Decide_ResourceOutsideTheSubjectsAudience_IsInvalidTarget()
    {
        Assert.Equal(OAuthError.InvalidTarget, TokenExchangePolicy.Decide(Subject(), Researcher(), false, null, "https://billing.example", Now, Settings).Error!.Code);
        Assert.True(TokenExchangePolicy.Decide(Subject(), Researcher(), false, null, "https://sky.example/api", Now, Settings).IsAllowed);
    }

    [Fact]
    public void Decide_RecordsTheTokensItWasExchangedFrom_NearestFirst()
    {
        var first = TokenExchangePolicy.Decide(Subject() with { DerivedFrom = ["t0"] }, Researcher(), false, null, null, Now, Settings);
        Assert.Equal(["t1", "t0"], first.Token!.DerivedFrom);
    }

    [Fact]
    public void Decide_PersonSubject_NamedOrAnyPersonWithARole()
    {
        var person = Subject(subject: "user:maria", clientId: "skybridge-cli", role: null!) with { Workflow = null, Role = null };
        Assert.True(TokenExchangePolicy.Decide(person, Researcher("user:maria"), false, null, null, Now, Settings).IsAllowed);
        Assert.True(TokenExchangePolicy.Decide(person, Researcher("user:*"), true, null, null, Now, Settings).IsAllowed);
        var refused = TokenExchangePolicy.Decide(person, Researcher("user:*"), false, null, null, Now, Settings);
        Assert.Equal(OAuthError.UnauthorizedClient, refused.Error!.Code);
        Assert.Contains("user:maria", refused.Error.Description, StringComparison.Ordinal);
    }
}
