namespace Skybridge.Core.Manifests;

/// <summary>
/// The autonomy ladder. Each step up needs evidence; <see cref="Halted"/> overrides every level.
/// </summary>
public enum AutonomyLevel
{
    /// <summary>The system drafts; a person does the work.</summary>
    L0Draft = 0,

    /// <summary>The system does the work; a person approves every output.</summary>
    L1ApproveAll = 1,

    /// <summary>Routine work flows through (sampled for review); consequential work is still approved.</summary>
    L2ApproveConsequential = 2,

    /// <summary>Nothing runs. Set by the kill switch, never by a manifest.</summary>
    Halted = -1,
}

/// <summary>Converts autonomy levels to and from their manifest spelling (<c>L0-draft</c> and so on).</summary>
public static class AutonomyLevels
{
    /// <summary>The spellings a manifest may use, lowest first.</summary>
    public static readonly IReadOnlyList<string> ManifestNames = ["L0-draft", "L1-approve-all", "L2-approve-consequential"];

    /// <summary>The manifest spelling of a level.</summary>
    public static string ToManifestName(this AutonomyLevel level) => level switch
    {
        AutonomyLevel.L0Draft => "L0-draft",
        AutonomyLevel.L1ApproveAll => "L1-approve-all",
        AutonomyLevel.L2ApproveConsequential => "L2-approve-consequential",
        AutonomyLevel.Halted => "halted",
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, null),
    };

    /// <summary>Parses a manifest spelling; false for anything else.</summary>
    public static bool TryParse(string? text, out AutonomyLevel level)
    {
        switch (text)
        {
            case "L0-draft": level = AutonomyLevel.L0Draft; return true;
            case "L1-approve-all": level = AutonomyLevel.L1ApproveAll; return true;
            case "L2-approve-consequential": level = AutonomyLevel.L2ApproveConsequential; return true;
            case "halted": level = AutonomyLevel.Halted; return true;
            default: level = default; return false;
        }
    }
}
