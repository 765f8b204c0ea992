using Microsoft.Playwright;
using Skybridge.Core.Access;
using Skybridge.Server.Tests.Support;

namespace HelpdeskBilling.Tests;

/// <summary>
/// The approver's approve-with-edits path in Chromium against a real node and the sample system of record: the edit
/// form, the diff an edited call shows, and who may decide it.
/// </summary>
public sealed class ApproveWithEditsBrowserTests : IClassFixture<DeskFixture>
{
    private readonly DeskFixture _fixture;

    public ApproveWithEditsBrowserTests(DeskFixture fixture) => _fixture = fixture;

    private string Url(string path) => _fixture.Issuer + path;

    private Task SignInAsync(IPage page, string userName) => Browser.SignInAsync(page, _fixture.Issuer, userName, EditsKit.Password);


    [Fact]
    public async Task Approver_EditsA300RefundDownTo40_ItExecutes_AndTheSystemRefunds40() =>
        await Browser.RunAsync("edit-300-to-40", async page =>
        {
            var agent = await DeskAgent.RegisterAsync(_fixture, "responder");
            var pending = await EditsKit.ProposeRefundAsync(_fixture, agent, "SO-000016", 300);
            var approvalId = pending.GetProperty("approvalId").GetString()!;
            var before = await EditsKit.RefundsAsync(agent, _fixture, "SO-000016");
            await EditsKit.PersonAsync(_fixture, "approver", WorkflowRole.Approver);
            var violations = Browser.WatchCsp(page);
            await SignInAsync(page, "approver");

            await page.GotoAsync(Url($"/approvals/{approvalId}"));
            // The edit form starts from the call as it stands, and carries the digest of the call shown.
            await Assertions.Expect(page.Locator("#edit-amount")).ToHaveValueAsync("300");
            await Assertions.Expect(page.Locator("#edit-order_id")).ToHaveValueAsync("SO-000016");
            await Assertions.Expect(page.Locator("#edit-form input[name='callDigest']")).ToHaveValueAsync(pending.GetProperty("callDigest").GetString()!);
            await Assertions.Expect(page.Locator("#edit-form input[name='__RequestVerificationToken']")).ToHaveCountAsync(1);

            await page.FillAsync("#edit-amount", "40");
            await page.FillAsync("#edit-comment", "40 EUR covers the torn fly sheet");
            await page.ClickAsync("#approve-with-edits");

            await Assertions.Expect(page.Locator("#decision-result")).ToContainTextAsync("Approved with edits");
            await Assertions.Expect(page.Locator("#successor")).ToHaveAttributeAsync("data-status", "executed");
            await Assertions.Expect(page.Locator($"#approval-{approvalId}")).ToHaveAttributeAsync("data-status", "approved_with_edits");
            Assert.Equal([.. before, 40m], await EditsKit.RefundsAsync(agent, _fixture, "SO-000016"));
            Assert.Empty(violations);
        });

    [Fact]
    public async Task Approver_Edits300To200_TheNewApprovalShowsTheDiff_TheEditorCannotDecideIt_ASecondApproverCan() =>
        await Browser.RunAsync("edit-300-to-200", async page =>
        {
            var agent = await DeskAgent.RegisterAsync(_fixture, "responder");
            var pending = await EditsKit.ProposeRefundAsync(_fixture, agent, "SO-000005", 300);
            var approvalId = pending.GetProperty("approvalId").GetString()!;
            var before = await EditsKit.RefundsAsync(agent, _fixture, "SO-000005");
            await EditsKit.PersonAsync(_fixture, "approver", WorkflowRole.Approver);
            await EditsKit.PersonAsync(_fixture, "lead", WorkflowRole.Approver);
            var violations = Browser.WatchCsp(page);
            await SignInAsync(page, "approver");

            await page.GotoAsync(Url($"/approvals/{approvalId}"));
            await page.FillAsync("#edit-amount", "200");
            await page.ClickAsync("#approve-with-edits");
            await Assertions.Expect(page.Locator("#successor")).ToHaveAttributeAsync("data-status", "pending_approval");

            // The edited call's own approval: the diff, old -> new, with only the amount changed.
            await page.ClickAsync("#successor-approval");
            var diff = page.Locator("#edit-diff");
            await Assertions.Expect(diff).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#edited-from")).ToHaveTextAsync(pending.GetProperty("actionId").GetString()!);
            await Assertions.Expect(diff.Locator("tr[data-parameter='amount']")).ToHaveClassAsync("changed");
            await Assertions.Expect(diff.Locator("tr[data-parameter='amount'] del.before")).ToHaveTextAsync("300");
            await Assertions.Expect(diff.Locator("tr[data-parameter='amount'] mark ins.after")).ToHaveTextAsync("200");
            await Assertions.Expect(diff.Locator("tr[data-parameter='order_id']")).ToHaveClassAsync("same");
            var newApprovalUrl = page.Url;

            // The editor asked for this call: their approval is refused.
            await page.ClickAsync("#approve");
            await Assertions.Expect(page.Locator("#refusal-code")).ToHaveTextAsync("self_approval");
            Assert.Equal(before, await EditsKit.RefundsAsync(agent, _fixture, "SO-000005"));

            // A second eligible person approves it, and the system refunds 200.
            await page.Context.ClearCookiesAsync();
            await SignInAsync(page, "lead");
            // The inbox says the call is an approver's edit, and what changed, before anyone opens it.
            await page.GotoAsync(Url($"/workflows/{DeskFixture.Workflow}/approvals"));
            var marker = page.Locator($".edited[data-edited-from='{pending.GetProperty("actionId").GetString()}']");
            await Assertions.Expect(marker.Locator(".change[data-parameter='amount'] del")).ToHaveTextAsync("300");
            await Assertions.Expect(marker.Locator(".change[data-parameter='amount'] ins")).ToHaveTextAsync("200");
            await Assertions.Expect(marker.Locator(".change[data-parameter='order_id']")).ToHaveCountAsync(0);
            await page.GotoAsync(newApprovalUrl);
            await Assertions.Expect(page.Locator("#edit-diff tr[data-parameter='amount'] ins.after")).ToHaveTextAsync("200");
            await page.ClickAsync("#approve");
            await Assertions.Expect(page.Locator("#decision-result")).ToContainTextAsync("Approved and executed");
            Assert.Equal([.. before, 200m], await EditsKit.RefundsAsync(agent, _fixture, "SO-000005"));
            Assert.Empty(violations);
        });
}
