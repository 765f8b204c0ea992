using Microsoft.AspNetCore.Mvc;
using Skybridge.Application.Access;

namespace Skybridge.Server.Console;

/// <summary>How console pages answer a refused access check: the same status codes as the API.</summary>
internal static class ConsoleAccess
{
    public static IActionResult Refuse(AccessVerdict verdict) => verdict switch
    {
        AccessVerdict.Unauthenticated => new ChallengeResult(),
        AccessVerdict.Forbidden => new StatusCodeResult(403),
        _ => new NotFoundResult(),
    };
}
