using System.CommandLine;
using Skybridge.Server.Authentication;
using Skybridge.Application.Tokens;

namespace Skybridge.Cli.Commands;

/// <summary>
/// <c>--oidc-*</c>: sign-in through an external OpenID Connect provider. The client secret comes from
/// <c>SKYBRIDGE_OIDC_CLIENT_SECRET</c> only, so that it never shows in the process list or shell history.
/// </summary>
internal sealed class SingleSignOnOptions
{
    public const string SecretVariable = "SKYBRIDGE_OIDC_CLIENT_SECRET";

    private readonly Option<string?> _authority = new("--oidc-authority") { Description = "The identity provider's issuer URL; turns single sign-on on.", HelpName = "URL" };
    private readonly Option<string?> _clientId = new("--oidc-client-id") { Description = $"Skybridge's client id at the provider (secret: ${SecretVariable}).", HelpName = "ID" };
    private readonly Option<string> _name = new("--oidc-name") { Description = "Shown as \"Sign in with NAME\".", HelpName = "NAME", DefaultValueFactory = _ => "single sign-on" };
    private readonly Option<string> _groups = new("--oidc-groups-claim") { Description = "The claim listing a person's groups.", HelpName = "CLAIM", DefaultValueFactory = _ => "groups" };
    private readonly Option<string[]> _roles = new("--oidc-role")
    {
        Description = "Group-to-role mapping, repeatable: GROUP=ROLE@WORKFLOW, or GROUP=admin.",
        HelpName = "MAPPING",
        AllowMultipleArgumentsPerToken = false,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_authority);
        command.Options.Add(_clientId);
        command.Options.Add(_name);
        command.Options.Add(_groups);
        command.Options.Add(_roles);
        command.Validators.Add(result =>
        {
            var authority = result.GetValue(_authority);
            if (authority is null)
            {
                if (result.GetValue(_clientId) is not null || result.GetValue(_roles) is { Length: > 0 })
                {
                    result.AddError("--oidc-client-id and --oidc-role need --oidc-authority.");
                }

                return;
            }

            var problems = new List<string>();
            if (result.GetValue(_clientId) is null)
            {
                problems.Add("--oidc-authority needs --oidc-client-id");
            }

            foreach (var mapping in result.GetValue(_roles) ?? [])
            {
                if (GroupRoleMapping.TryParse(mapping, out var problem) is null)
                {
                    problems.Add("--oidc-role " + problem);
                }
            }

            problems.AddRange(Options(result.GetValue(_authority)!, result.GetValue(_clientId) ?? "x", result.GetValue(_name) ?? "single sign-on", result.GetValue(_groups) ?? "groups", []).Problems());
            foreach (var problem in problems)
            {
                result.AddError(problem);
            }
        });
    }

    /// <summary>The options given, or null when single sign-on is off.</summary>
    public OidcOptions? Read(ParseResult parse)
    {
        if (parse.GetValue(_authority) is not { } authority)
        {
            return null;
        }

        var mappings = (parse.GetValue(_roles) ?? []).Select(m => GroupRoleMapping.TryParse(m, out _)!).ToList();
        return Options(authority, parse.GetValue(_clientId)!, parse.GetValue(_name)!, parse.GetValue(_groups)!, mappings);
    }

    private static OidcOptions Options(string authority, string clientId, string name, string groups, IReadOnlyList<GroupRoleMapping> mappings)
    {
        var loopback = Uri.TryCreate(authority, UriKind.Absolute, out var uri) && uri.IsLoopback;
        return new OidcOptions
        {
            Authority = authority.TrimEnd('/'),
            ClientId = clientId,
            ClientSecret = Environment.GetEnvironmentVariable(SecretVariable) is { Length: > 0 } secret ? secret : null,
            DisplayName = name,
            GroupsClaim = groups,
            RoleMappings = mappings,
            // Plain http is accepted only for a provider on this machine (development); anything else must be https.
            RequireHttpsMetadata = !loopback,
        };
    }
}
