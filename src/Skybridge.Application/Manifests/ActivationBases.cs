using Skybridge.Storage;

namespace Skybridge.Application.Manifests;

/// <summary>
/// How each version passed the evaluation gate, for everywhere a version is shown (CLI, API, console): the basis of
/// its latest gated activation. A version activated by override says so, with the reason, for as long as it is listed.
/// </summary>
public static class ActivationBases
{
    /// <summary>Per version, its newest activation that carried a basis (rollbacks carry none).</summary>
    /// <param name="activations">The workflow's activation history, newest first (as the store lists it).</param>
    public static IReadOnlyDictionary<int, Activation> ByVersion(IEnumerable<Activation> activations)
    {
        ArgumentNullException.ThrowIfNull(activations);
        var bases = new Dictionary<int, Activation>();
        foreach (var activation in activations)
        {
            if (activation.Basis is not null)
            {
                bases.TryAdd(activation.Version, activation);
            }
        }

        return bases;
    }

    /// <summary>A word for a table column: <c>evaluation</c>, <c>override</c> or <c>set-up</c>.</summary>
    public static string Short(ActivationBasis basis)
    {
        ArgumentNullException.ThrowIfNull(basis);
        return basis.Gate switch
        {
            ActivationBasis.Evaluation => "evaluation",
            ActivationBasis.Setup => "set-up override",
            _ => "owner's override",
        };
    }

    /// <summary>One line: <c>evaluation run-...</c>, or <c>owner's override: reason (newest run run-...)</c>.</summary>
    public static string Describe(ActivationBasis basis)
    {
        ArgumentNullException.ThrowIfNull(basis);
        var run = basis.RunId is { } id ? $" (newest run {id})" : " (no run of it stored)";
        return basis.Gate switch
        {
            ActivationBasis.Evaluation => $"evaluation {basis.RunId}, which cleared the bar",
            ActivationBasis.Setup => $"set-up override by skybridge up: {basis.Reason}{run}",
            _ => $"owner's override: {basis.Reason}{run}",
        };
    }
}
