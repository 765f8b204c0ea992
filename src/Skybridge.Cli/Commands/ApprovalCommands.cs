using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Skybridge.Cli.Commands;

/// <summary>
/// <c>skybridge approvals list|decide</c>: approvals from a terminal, as the person signed in with <c>skybridge login</c>
/// (the server's approval API with their token; the server decides who may see and decide what).
/// </summary>
internal static partial class ApprovalCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    [GeneratedRegex(@"^(\d+)\s*(m|min|h|d|w)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    public static Command Create(CliIo io)
    {
        var command = new Command("approvals", "List and decide approvals on the server you signed in to (skybridge login).");
        command.Subcommands.Add(List(io));
        command.Subcommands.Add(Decide(io));
        return command;
    }

    /// <summary>Minutes in a duration like <c>30m</c>, <c>2h</c>, <c>1d</c>, <c>1w</c>; null when it is not one.</summary>
    internal static int? ParseMinutes(string text)
    {
        var match = DurationPattern().Match(text.Trim());
        if (!match.Success || !int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return null;
        }

        return match.Groups[2].Value.ToLowerInvariant() switch
        {
            "h" => n * 60,
            "d" => n * 60 * 24,
            "w" => n * 60 * 24 * 7,
            _ => n,
        };
    }

    private static Command List(CliIo io)
    {
        var workflow = new Argument<string>("WORKFLOW") { Description = "The workflow whose approvals to list." };
        var action = new Option<string?>("--action") { Description = "Only approvals of this action.", HelpName = "A" };
        var olderThan = new Option<string?>("--older-than") { Description = "Only approvals waiting longer than this (30m, 2h, 1d, 1w).", HelpName = "DURATION" };
        var status = new Option<string>("--status") { Description = "pending (default), approved, rejected, approved_with_edits or expired.", DefaultValueFactory = _ => "pending" };
        var json = new Option<bool>("--json") { Description = "Print the approvals as JSON." };
        var command = new Command("list", "List a workflow's approvals, oldest first (pending ones unless --status says otherwise).") { workflow, action, olderThan, status, json };
        command.SetAction(async (parse, ct) =>
        {
            int? minutes = null;
            if (parse.GetValue(olderThan) is { } age)
            {
                minutes = ParseMinutes(age);
                if (minutes is null)
                {
                    io.Fail($"--older-than '{age}' is not a duration.", "Use a number and a unit: 30m, 2h, 1d or 1w.");
                    return ExitCodes.InvalidInput;
                }
            }

            var query = new List<string> { "status=" + Uri.EscapeDataString(parse.GetValue(status)!) };
            if (parse.GetValue(action) is { } name)
            {
                query.Add("action=" + Uri.EscapeDataString(name));
            }

            if (minutes is { } m)
            {
                query.Add("olderThanMinutes=" + m.ToString(CultureInfo.InvariantCulture));
            }

            var id = parse.GetValue(workflow)!;
            return await SessionCommands.WithServerAsync(io, async http =>
            {
                using var response = await http.GetAsync($"/api/workflows/{Uri.EscapeDataString(id)}/approvals?{string.Join('&', query)}", ct).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    return SessionCommands.Refused(io, response, body);
                }

                var approvals = JsonNode.Parse(body)!.AsArray();
                if (parse.GetValue(json))
                {
                    io.Output.WriteLine(approvals.ToJsonString(Indented));
                    return ExitCodes.Ok;
                }

                if (approvals.Count == 0)
                {
                    io.Output.WriteLine($"No {parse.GetValue(status)} approvals in {id}.");
                    return ExitCodes.Ok;
                }

                var now = DateTimeOffset.UtcNow;
                io.Output.WriteLine($"{"APPROVAL",-22} {"ACTION",-12} {"CASE",-18} {"WAITING",-10} {"EXPIRES IN",-10} VOTES");
                foreach (var a in approvals.OfType<JsonObject>())
                {
                    var created = a["createdAt"]!.GetValue<DateTimeOffset>();
                    var expires = a["expiresAt"]!.GetValue<DateTimeOffset>();
                    var votes = a["votes"] is JsonArray v ? v.Count : 0;
                    io.Output.WriteLine($"{(string?)a["id"],-22} {(string?)a["action"],-12} {(string?)a["caseId"],-18} {Age(now - created),-10} {Age(expires - now),-10} {votes}/{(int?)a["requiredApprovers"]}");
                }

                return ExitCodes.Ok;
            }, ct).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Decide(CliIo io)
    {
        var approvalId = new Argument<string>("APPROVAL_ID") { Description = "The approval to decide." };
        var decision = new Argument<string>("DECISION") { Description = "approve or reject." };
        decision.AcceptOnlyFromAmong("approve", "reject");
        var comment = new Option<string?>("--comment") { Description = "Why, in your words (recorded with the decision).", HelpName = "C" };
        var parameters = new Option<string[]>("--param")
        {
            Description = "Approve with this parameter changed (name=value; repeat for several): a new call that policy decides again.",
            HelpName = "NAME=VALUE",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("decide", "Approve or reject an approval; with --param, approve the call with edited parameters instead.")
        {
            approvalId, decision, comment, parameters,
        };
        command.SetAction(async (parse, ct) =>
        {
            var id = parse.GetValue(approvalId)!;
            var verdict = parse.GetValue(decision)!;
            var edits = parse.GetValue(parameters) ?? [];
            if (edits.Length > 0 && verdict != "approve")
            {
                io.Fail("--param edits what is approved; a rejection takes no parameters.");
                return ExitCodes.InvalidInput;
            }

            var pairs = new List<(string Name, string Value)>();
            foreach (var edit in edits)
            {
                var eq = edit.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    io.Fail($"--param '{edit}' is not name=value.");
                    return ExitCodes.InvalidInput;
                }

                pairs.Add((edit[..eq].Trim(), edit[(eq + 1)..]));
            }

            return await SessionCommands.WithServerAsync(io, async http =>
            {
                // The call the approval is bound to, as the server stores it: the decision names its digest.
                using var shown = await http.GetAsync($"/api/approvals/{Uri.EscapeDataString(id)}", ct).ConfigureAwait(false);
                var shownBody = await shown.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                if (!shown.IsSuccessStatusCode)
                {
                    return SessionCommands.Refused(io, shown, shownBody);
                }

                var current = JsonNode.Parse(shownBody)!.AsObject();
                var approval = current["approval"]!.AsObject();
                var call = current["parameters"]!.AsObject();
                io.Output.WriteLine($"{(string?)approval["action"]} for {(string?)approval["caseId"]}: {call.ToJsonString()} (call {((string?)approval["callDigest"])?[..16]}…)");

                JsonObject? edited = null;
                if (pairs.Count > 0)
                {
                    edited = (JsonObject)call.DeepClone();
                    foreach (var (name, value) in pairs)
                    {
                        edited[name] = Typed(call[name], value);
                    }
                }

                var request = new JsonObject
                {
                    ["decision"] = edited is null ? verdict : "approve_with_edits",
                    ["callDigest"] = (string?)approval["callDigest"],
                    ["comment"] = parse.GetValue(comment),
                };
                if (edited is not null)
                {
                    request["parameters"] = edited;
                }

                using var response = await http.PostAsJsonAsync($"/api/approvals/{Uri.EscapeDataString(id)}/decision", request, ct).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    return SessionCommands.Refused(io, response, body);
                }

                var answer = JsonNode.Parse(body)!.AsObject();
                var action = answer["action"]?.AsObject();
                var status = (string?)action?["status"];
                if (edited is not null)
                {
                    io.Output.WriteLine($"Approved with edits. The edited call {(string?)action?["actionId"]} is {status}" + status switch
                    {
                        "pending_approval" => $": its approval {(string?)action?["approvalId"]} needs another eligible person (you asked for it).",
                        "denied" => $": {(string?)action?["detail"]?["summary"]}",
                        _ => ".",
                    });
                }
                else
                {
                    io.Output.WriteLine($"{(verdict == "approve" ? "Approved" : "Rejected")}. Approval {(string?)answer["approval"]?["status"]}; the action is {status}.");
                }

                return ExitCodes.Ok;
            }, ct).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>A typed value for an edited parameter: like the call's current value (a number stays a number), else text.</summary>
    private static JsonNode? Typed(JsonNode? current, string value)
    {
        switch (current?.GetValueKind())
        {
            case JsonValueKind.Number when decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number):
                return JsonNode.Parse(number.ToString(CultureInfo.InvariantCulture));
            case JsonValueKind.True or JsonValueKind.False when bool.TryParse(value, out var flag):
                return JsonValue.Create(flag);
            default:
                // Text as typed; a value that does not fit the schema is reported by the server with its code.
                return JsonValue.Create(value);
        }
    }

    private static string Age(TimeSpan span) =>
        span <= TimeSpan.Zero ? "now"
        : span.TotalHours < 1 ? $"{(int)span.TotalMinutes}m"
        : span.TotalDays < 1 ? $"{(int)span.TotalHours}h{span.Minutes:00}m"
        : $"{(int)span.TotalDays}d{span.Hours}h";
}
