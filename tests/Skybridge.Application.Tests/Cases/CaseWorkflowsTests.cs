using Skybridge.Application.Cases;
using Skybridge.Application.Tests.Support;
using Skybridge.Storage;

namespace Skybridge.Application.Tests.Cases;

public sealed class CaseWorkflowsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WorkflowOf_AnUnknownCase_IsNotRemembered_SoTheCaseIsFoundOnceItExists()
    {
        await using var test = await TestStore.OpenAsync();
        var cases = new CaseWorkflows(test.Store);

        Assert.Null(await cases.WorkflowOfAsync("case-late", Ct));
        await test.Store.SaveCaseAsync(new StoredCase("case-late", "support-desk", "agent-1", "Where is my parcel?", "{}", false, DateTimeOffset.UtcNow), Ct);

        Assert.Equal("support-desk", await cases.WorkflowOfAsync("case-late", Ct));
    }
}
