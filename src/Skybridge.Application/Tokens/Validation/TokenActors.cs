using Skybridge.Core.Identity;
using Skybridge.Core.Ledger.Events;

namespace Skybridge.Application.Tokens.Validation;

/// <summary>Who acts with a token, as the ledger names them: the one place a token's subject and actors become ledger actors.</summary>
public static class TokenActors
{
    /// <summary>
    /// The current actor first (a sub-agent when delegated), then earlier actors, then the subject (a person or the
    /// agent itself).
    /// </summary>
    public static List<LedgerActor> Of(AccessTokenClaims claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var actors = new List<LedgerActor>();
        if (claims.Actor is not null)
        {
            var chain = claims.Actor.Chain().ToList();
            actors.Add(LedgerActor.SubAgent(chain[0]));
            actors.AddRange(chain.Skip(1).Select(LedgerActor.Agent));
        }

        var subject = claims.SubjectOf;
        actors.Add(subject.IsPerson ? LedgerActor.Human(subject.Name) : LedgerActor.Agent(subject.Name));
        return actors;
    }
}
