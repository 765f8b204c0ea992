using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skybridge.Cli.Commands;

/// <summary>
/// <c>skybridge review list|submit|summary</c>: live review from a terminal, as the person signed in with
/// <c>skybridge login</c> (the server's review API with their token; the server decides who may review what).
/// </summary>
internal static class ReviewCommands
{
    public static Command Create(CliIo io)
    {
        var command = new Command("review", "Review sampled live cases on the server you signed in to (skybridge login).");
        command.Subcommands.Add(List(io));
        command.Subcommands.Add(Submit(io));
        command.Subcommands.Add(Summary(io));
        return command;
    }

    private static Command List(CliIo io)
    {
        var workflow = new Argument<string>("WORKFLOW") { Description = "The workflow whose review queue to list." };
        var overdue = new Option<bool>("--overdue") { Description = "Only the cases past their due time." };
        var done = new Option<bool>("--done") { Description = "The cases reviewed by as many people as they need." };
        var limit = new Option<int?>("--limit") { Description = "Print one page of at most N cases (1-200) and how to get the next; without it every page is read.", HelpName = "N" };
        var after = new Option<string?>("--after") { Description = "Continue after this cursor (printed under a page listed with --limit).", HelpName = "CURSOR" };
        var command = new Command("list", "List a workflow's sampled cases waiting for review, oldest due first.") { workflow, overdue, done, limit, after };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(overdue) && parse.GetValue(done))
            {
                io.Fail("--overdue and --done exclude each other.");
                return ExitCodes.InvalidInput;
            }

            if (parse.GetValue(limit) is { } n && n is < 1 or > 200)
            {
                io.Fail("--limit is between 1 and 200.");
                return ExitCodes.InvalidInput;
            }

            var status = parse.GetValue(overdue) ? "overdue" : parse.GetValue(done) ? "done" : "open";
            var id = parse.GetValue(workflow)!;
            return await SessionCommands.WithServerAsync(io, async http =>
            {
                var url = $"/api/workflows/{Uri.EscapeDataString(id)}/reviews?status={status}"
                    + (parse.GetValue(limit) is { } size ? $"&limit={size}" : "")
                    + (parse.GetValue(after) is { } cursor ? $"&after={Uri.EscapeDataString(cursor)}" : "");
                var items = new JsonArray();
                string? next;
                while (true)
                {
                    using var response = await http.GetAsync(url, ct).ConfigureAwait(false);
                    var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                    if (!response.IsSuccessStatusCode)
                    {
                        return SessionCommands.Refused(io, response, body);
                    }

                    foreach (var item in JsonNode.Parse(body)!.AsArray().ToList())
                    {
                        items.Add(item!.DeepClone());
                    }

                    next = NextLink(response);
                    // With --limit, one page: the reader asked for a screenful. Without it, every page, by the server's cursor.
                    if (next is null || parse.GetValue(limit) is not null)
                    {
                        break;
                    }

                    url = next;
                }

                if (items.Count == 0)
                {
                    io.Output.WriteLine($"No {status} reviews in {id}.");
                    return ExitCodes.Ok;
                }

                io.Output.WriteLine($"{"CASE",-22} {"DUE",-20} {"REVIEWS",-8} {"RATE",-6} WHY");
                foreach (var i in items.OfType<JsonObject>())
                {
                    var due = i["dueAt"]!.GetValue<DateTimeOffset>().ToString("yyyy-MM-dd HH:mm'Z'", CultureInfo.InvariantCulture) + ((bool?)i["overdue"] == true ? "!" : "");
                    var why = string.Join(",", (i["reasons"] as JsonArray ?? []).Select(r => (string?)r));
                    io.Output.WriteLine($"{(string?)i["caseId"],-22} {due,-20} {(int?)i["reviews"]}/{(int?)i["requiredReviews"],-6} {((double?)i["rate"] ?? 0).ToString("0.##", CultureInfo.InvariantCulture),-6} {why}");
                }

                if (next is not null && NextCursor(next) is { } more)
                {
                    var flag = status == "open" ? "" : $" --{status}";
                    io.Output.WriteLine($"More cases follow: skybridge review list {id}{flag} --limit {parse.GetValue(limit)} --after {more}");
                }

                return ExitCodes.Ok;
            }, ct).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>The next page's URL from an RFC 8288 <c>Link</c> header, or null on the last page.</summary>
    private static string? NextLink(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var values))
        {
            return null;
        }

        foreach (var link in values.SelectMany(v => v.Split(',')))
        {
            var parts = link.Split(';', StringSplitOptions.TrimEntries);
            if (parts.Length > 1 && parts[0].StartsWith('<') && parts[0].EndsWith('>')
                && parts.Skip(1).Any(p => p.Replace(" ", "", StringComparison.Ordinal) is "rel=\"next\"" or "rel=next"))
            {
                return parts[0][1..^1];
            }
        }

        return null;
    }

    private static string? NextCursor(string next)
    {
        var query = next.IndexOf('?', StringComparison.Ordinal) is var q and >= 0 ? next[(q + 1)..] : "";
        return query.Split('&').Where(p => p.StartsWith("after=", StringComparison.Ordinal)).Select(p => Uri.UnescapeDataString(p[6..])).FirstOrDefault();
    }

    private static Command Submit(CliIo io)
    {
        var caseId = new Argument<string>("CASE") { Description = "The sampled case to review." };
        var correctness = new Option<string>("--correctness") { Description = "correct, partly or wrong.", Required = true };
        correctness.AcceptOnlyFromAmong("correct", "partly", "wrong");
        var citations = new Option<string>("--citations") { Description = "ok, wrong or missing.", Required = true };
        citations.AcceptOnlyFromAmong("ok", "wrong", "missing");
        var action = new Option<string>("--action") { Description = "right, wrong or none_needed.", Required = true };
        action.AcceptOnlyFromAmong("right", "wrong", "none_needed");
        var comment = new Option<string?>("--comment") { Description = "Why, in your words (the ledger keeps its digest).", HelpName = "C" };
        var command = new Command("submit", "Review a sampled case once: its correctness, citations and action.") { caseId, correctness, citations, action, comment };
        command.SetAction(async (parse, ct) =>
        {
            var id = parse.GetValue(caseId)!;
            return await SessionCommands.WithServerAsync(io, async http =>
            {
                using var response = await http.PostAsJsonAsync($"/api/reviews/{Uri.EscapeDataString(id)}", new
                {
                    correctness = parse.GetValue(correctness),
                    citations = parse.GetValue(citations),
                    action = parse.GetValue(action),
                    comment = parse.GetValue(comment),
                }, ct).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    return SessionCommands.Refused(io, response, body);
                }

                var review = JsonNode.Parse(body)!.AsObject();
                io.Output.WriteLine($"Reviewed {id} (review {(int?)review["slot"]}): {(string?)review["correctness"]}, citations {(string?)review["citations"]}, action {(string?)review["action"]}.");
                return ExitCodes.Ok;
            }, ct).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Summary(CliIo io)
    {
        var workflow = new Argument<string>("WORKFLOW") { Description = "The workflow." };
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON." };
        var command = new Command("summary", "Production metrics from reviews with 95% intervals, reviewer agreement (Cohen's kappa) and overdue reviews.") { workflow, json };
        command.SetAction(async (parse, ct) =>
        {
            var id = parse.GetValue(workflow)!;
            return await SessionCommands.WithServerAsync(io, async http =>
            {
                using var response = await http.GetAsync($"/api/workflows/{Uri.EscapeDataString(id)}/reviews/summary", ct).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    return SessionCommands.Refused(io, response, body);
                }

                var s = JsonNode.Parse(body)!.AsObject();
                if (parse.GetValue(json))
                {
                    io.Output.WriteLine(s.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                    return ExitCodes.Ok;
                }

                io.Output.WriteLine($"{id}: {(int?)s["queued"]} sampled, {(int?)s["open"]} open, {(int?)s["done"]} done, {(int?)s["overdue"]} overdue, {(int?)s["reviews"]} reviews");
                Line(io, "answer correctness", s["answerCorrectness"]!.AsObject());
                Line(io, "citations ok", s["citationsOk"]!.AsObject());
                Line(io, "action right", s["actionRight"]!.AsObject());
                var agreement = s["agreement"]!.AsObject();
                foreach (var (name, k) in agreement)
                {
                    var kappa = (double?)k!["kappa"];
                    io.Output.WriteLine($"  agreement on {name,-12} kappa {(kappa is { } v ? v.ToString("0.00", CultureInfo.InvariantCulture) : "n/a")} over {(int?)k["cases"]} double-reviewed cases");
                }

                return ExitCodes.Ok;
            }, ct).ConfigureAwait(false);
        });
        return command;
    }

    private static void Line(CliIo io, string name, JsonObject rate)
    {
        var value = (double?)rate["value"];
        var text = value is { } v
            ? string.Create(CultureInfo.InvariantCulture, $"{v:P1} [{(double)rate["lower"]!:P1}, {(double)rate["upper"]!:P1}]")
            : "no reviews";
        io.Output.WriteLine($"  {name,-20} {text} ({(int?)rate["successes"]}/{(int?)rate["total"]})");
    }
}
