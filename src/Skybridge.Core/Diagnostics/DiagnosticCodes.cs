namespace Skybridge.Core.Diagnostics;

/// <summary>
/// The stable diagnostic codes, documented in docs/manifest.md. A published code never changes meaning:
/// retire it and add a new one instead.
/// </summary>
/// <remarks>
/// Ranges: SB10xx YAML and structure; SB11xx references and cross-checks; SB12xx data boundary and model;
/// SB13xx autonomy and evidence; SB14xx policy lint (<c>skybridge policy lint</c>, warnings on a valid manifest);
/// SB115x the acceptance bar and the golden-set pin; SB16xx golden set files (docs/evaluation.md).
/// </remarks>
public static class DiagnosticCodes
{
    /// <summary>The text is not valid YAML, or is not a single YAML document.</summary>
    public const string YamlSyntax = "SB1001";

    /// <summary>A key the schema does not know (usually a typo; the nearest valid key is suggested).</summary>
    public const string UnknownKey = "SB1002";

    /// <summary>A value of the wrong shape: a list where a mapping belongs, text where a number belongs.</summary>
    public const string WrongType = "SB1003";

    /// <summary>A required key is absent or has no value.</summary>
    public const string MissingKey = "SB1004";

    /// <summary>The same key appears twice in one mapping (YAML leaves it undefined which one wins).</summary>
    public const string DuplicateKey = "SB1005";

    /// <summary>A value outside a fixed set (consequence, effect, provider...); the valid values are listed.</summary>
    public const string InvalidEnumValue = "SB1006";

    /// <summary>A number outside its allowed range.</summary>
    public const string OutOfRange = "SB1007";

    /// <summary>A value of the right type but the wrong form: slug, URL, duration, regular expression, scope.</summary>
    public const string MalformedValue = "SB1008";

    /// <summary>A policy rule names an action the manifest does not declare.</summary>
    public const string UnknownActionInRule = "SB1101";

    /// <summary>A policy rule names a principal that is neither an agent role, a workflow role nor <c>*</c>.</summary>
    public const string UnknownPrincipalInRule = "SB1102";

    /// <summary>A <c>when</c> condition tests a field that is not a parameter of every action the rule names.</summary>
    public const string ConditionFieldNotParameter = "SB1103";

    /// <summary>An action has no connector, so nothing could execute it.</summary>
    public const string ActionWithoutConnector = "SB1104";

    /// <summary>An action names a connector the manifest does not declare.</summary>
    public const string UnknownConnector = "SB1105";

    /// <summary>Two actions, connectors, sources, agent roles, rules, assumptions or dependencies share a name.</summary>
    public const string DuplicateName = "SB1106";

    /// <summary>An <c>authorities.approve</c> entry names an action the manifest does not declare.</summary>
    public const string ApproverForUnknownAction = "SB1107";

    /// <summary>A consequential action has no one who may approve it.</summary>
    public const string ConsequentialActionWithoutApprover = "SB1108";

    /// <summary>A decision authority (review, monitor, recalibrate, halt, sign_gates) is missing or empty.</summary>
    public const string MissingDecisionAuthority = "SB1109";

    /// <summary>A principal is not <c>user:NAME</c> or <c>group:NAME</c>.</summary>
    public const string MalformedPrincipal = "SB1110";

    /// <summary>Warning: a prohibited action is permitted by a rule and no forbid rule covers it.</summary>
    public const string ProhibitedActionPermitted = "SB1111";

    /// <summary><c>approval</c> on a forbid rule, where it has no meaning.</summary>
    public const string ApprovalOnForbidRule = "SB1112";

    /// <summary>A <c>when</c> condition compares a value the parameter's type cannot hold (e.g. <c>lte</c> on a string).</summary>
    public const string ConditionTypeMismatch = "SB1113";

    /// <summary>An agent role's <c>acts_for</c> entry is not <c>role:NAME</c> of a declared agent role, <c>user:NAME</c> or <c>user:*</c>.</summary>
    public const string UnknownActsFor = "SB1114";

    /// <summary><c>approvers</c> on a forbid rule, or together with <c>approval: none</c>.</summary>
    public const string ApproversWithoutApproval = "SB1115";

    /// <summary>A budget counts an action the manifest does not declare.</summary>
    public const string BudgetForUnknownAction = "SB1116";

    /// <summary>A budget sums a parameter that is not a number parameter of its action (or sums over every action).</summary>
    public const string BudgetSumNotNumeric = "SB1117";

    /// <summary>A budget sets neither or both of <c>calls</c> and <c>sum</c>/<c>max</c>, or <c>sum</c> without <c>max</c>.</summary>
    public const string BudgetWithoutLimit = "SB1118";

    /// <summary>The responder proposes an action the manifest does not declare.</summary>
    public const string ResponderUnknownAction = "SB1119";

    /// <summary>A responder template uses a placeholder that is not known, or that its step never has a value for.</summary>
    public const string UnknownResponderPlaceholder = "SB1120";

    /// <summary>
    /// The responder's parameters do not fit the action's schema: a parameter the action lacks, a required one left
    /// unfilled, a literal value the schema refuses, or a placeholder (text) in a number or boolean parameter.
    /// </summary>
    public const string ResponderParametersMismatch = "SB1121";

    /// <summary>The responder's role is not a declared agent role.</summary>
    public const string ResponderRoleNotAgent = "SB1122";
    /// <summary>A webhook subscribes to an event type that is not one a webhook may receive.</summary>
    public const string UnknownWebhookEvent = "SB1130";

    /// <summary>A webhook URL is plain http to another machine: deliveries would cross the network unencrypted.</summary>
    public const string UnencryptedWebhookUrl = "SB1131";

    /// <summary>An acceptance criterion names a metric the evaluation does not compute (the nearest is suggested).</summary>
    public const string UnknownMetric = "SB1150";

    /// <summary>An acceptance criterion's <c>tag</c> is not a golden-set tag (the nearest is suggested).</summary>
    public const string UnknownBarTag = "SB1151";

    /// <summary>An acceptance criterion's <c>confidence</c> is not between 0.5 and 0.999.</summary>
    public const string InvalidConfidence = "SB1152";

    /// <summary>A proportion metric's threshold outside 0..1 (e.g. <c>min: 90</c> meant as 90 %), or a negative latency or cost.</summary>
    public const string ThresholdOutsideMetricRange = "SB1153";

    /// <summary>Two acceptance criteria for the same metric and tag, so it is unclear which one the bar means.</summary>
    public const string DuplicateCriterion = "SB1154";

    /// <summary>The golden set's SHA-256 differs from the hash the manifest pins: it changed after the bar was agreed.</summary>
    public const string GoldenSetHashMismatch = "SB1155";

    /// <summary>The pinned golden-set hash is not 64 hexadecimal characters.</summary>
    public const string MalformedGoldenSetHash = "SB1156";

    /// <summary>Warning: <c>confidence</c> on a latency or cost metric, which is compared directly without an interval.</summary>
    public const string ConfidenceIgnored = "SB1157";

    /// <summary>A path leaves the manifest's folder (absolute, or climbing with <c>..</c>).</summary>
    public const string PathOutsideManifestFolder = "SB1201";

    /// <summary><c>trains_on_data: true</c>: nothing may train someone else's model.</summary>
    public const string TrainsOnData = "SB1202";

    /// <summary>The model endpoint is not on the installation's list of allowed endpoints.</summary>
    public const string ModelEndpointNotAllowed = "SB1203";

    /// <summary>The model endpoint is plain http to a host other than this machine.</summary>
    public const string UnencryptedModelEndpoint = "SB1204";

    /// <summary>Warning: <c>endpoint</c> or <c>model</c> given for the in-process builtin-extractive provider.</summary>
    public const string ModelSettingIgnored = "SB1205";

    /// <summary>A <c>redact_patterns</c> entry is not a regular expression, or <c>national_id</c> is redacted without a pattern.</summary>
    public const string InvalidRedactionPattern = "SB1206";

    /// <summary>
    /// A source's folder does not exist next to the manifest, where a command reads the files itself (an evaluation):
    /// what it measured would be answers without that source.
    /// </summary>
    public const string SourceFolderNotFound = "SB1207";

    /// <summary>The autonomy level is above what the workflow has evidence for.</summary>
    public const string AutonomyAboveEvidence = "SB1301";

    /// <summary><c>halted</c> as a manifest autonomy level; only the kill switch halts.</summary>
    public const string HaltedInManifest = "SB1302";

    /// <summary>The golden set file does not exist.</summary>
    public const string GoldenSetNotFound = "SB1303";

    /// <summary>No acceptance bar (a warning at L0-draft, an error above).</summary>
    public const string NoAcceptanceBar = "SB1304";

    /// <summary>A threshold with neither min nor max, or with min above max.</summary>
    public const string InvalidThreshold = "SB1305";

    /// <summary>Warning: L2 with review_sample_rate 0, so routine work would flow with nobody looking.</summary>
    public const string NoReviewSampling = "SB1306";

    /// <summary>Lint: a rule whose conditions contradict each other or the parameter's schema, so it never matches.</summary>
    public const string RuleNeverMatches = "SB1401";

    /// <summary>Lint: a rule whose principals are all agent roles without the <c>actions:propose</c> scope.</summary>
    public const string RoleCannotCallActions = "SB1402";

    /// <summary>Lint: a rule for every action (<c>*</c>) tests a parameter no action has, so it never matches.</summary>
    public const string ConditionOnAbsentParameter = "SB1403";

    /// <summary>Lint: a permit that a forbid rule covers completely, so it never lets anything through.</summary>
    public const string PermitShadowedByForbid = "SB1404";

    /// <summary>Lint: a permit covered by another permit asking for at least as much approval, so it never changes a decision.</summary>
    public const string PermitRedundant = "SB1405";

    /// <summary>Lint: an action (not prohibited) that no enforced permit names, so it can never run.</summary>
    public const string ActionNotCovered = "SB1406";

    /// <summary>Lint: a permit asks for more distinct approvers than the action's approve authority can provide.</summary>
    public const string ApprovalCannotBeGathered = "SB1407";

    /// <summary>Lint: a forbid tests an optional parameter, so a call without it escapes the forbid.</summary>
    public const string ForbidOnOptionalParameter = "SB1408";

    /// <summary>A golden set's <c>version</c> is not one this build reads (only 1).</summary>
    public const string UnsupportedGoldenSetVersion = "SB1601";

    /// <summary>Two golden cases share an id.</summary>
    public const string DuplicateCaseId = "SB1602";

    /// <summary>A golden case has a tag outside the known list (the nearest is suggested).</summary>
    public const string UnknownCaseTag = "SB1603";

    /// <summary>A <c>pattern</c> fact is not a valid regular expression.</summary>
    public const string InvalidFactPattern = "SB1604";

    /// <summary>A case expects an abstention together with facts or citations: an abstention states and cites nothing.</summary>
    public const string AbstainWithFacts = "SB1605";

    /// <summary>A fact is neither text, <c>{ pattern: REGEX }</c> nor <c>{ number: N }</c>.</summary>
    public const string MalformedFact = "SB1606";

    /// <summary><c>agreed_on</c> is not a date written YYYY-MM-DD.</summary>
    public const string MalformedAgreedOn = "SB1607";

    /// <summary>A golden set with no cases, so no run of it could clear any bar.</summary>
    public const string EmptyGoldenSet = "SB1608";

    /// <summary>Warning: a case expected to answer that checks nothing (no facts, citations or actions), so it always passes.</summary>
    public const string CaseChecksNothing = "SB1609";

    /// <summary>Check against the sources: a case cites a document that no source of the manifest holds.</summary>
    public const string CitedDocumentNotInSources = "SB1610";

    /// <summary>Check against the sources: a fact that none of the case's cited documents states.</summary>
    public const string FactOnNoCitedDocument = "SB1611";

    /// <summary>Check against the sources: a document that states a case's fact but is not among its citations.</summary>
    public const string UncitedDocumentStatesFact = "SB1612";

    /// <summary>Check against the sources: a cited document that states none of the case's facts.</summary>
    public const string CitedDocumentStatesNoFact = "SB1613";

    /// <summary>Check against the sources: a case expected to answer, written in a language none of the sources are in.</summary>
    public const string AnswerCaseInOtherLanguage = "SB1614";
}
