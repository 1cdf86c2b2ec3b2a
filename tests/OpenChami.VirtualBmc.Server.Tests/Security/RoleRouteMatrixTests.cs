using System.Net;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Server.Resources;
using OpenChami.VirtualBmc.Slots.Catalog;
using static OpenChami.VirtualBmc.Server.Tests.ServerTestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Security;

/// <summary>
/// Every route × every role (and no credentials): allowed exactly when the DMTF privilege registry says so, and for
/// routes that name a role (the OEM disk actions: Administrator) only for that role.
/// </summary>
public sealed class RoleRouteMatrixTests(RunningServer server) : IClassFixture<RunningServer>
{
    private static readonly Dictionary<string, string> RouteValues = new()
    {
        ["{id}"] = "slot0", ["{managerId}"] = "BMC", ["{nic}"] = "hsn0", ["{media}"] = "Cd", ["{device}"] = "gpu0",
        ["{function}"] = "0", ["{user}"] = "admin", ["{role}"] = "Operator", ["{sessionId}"] = "no-such-session",
        ["{cpu}"] = "CPU0", ["{memory}"] = "Memory0", ["{storage}"] = "VirtioBlock", ["{drive}"] = "vda",
    };

    private static readonly Dictionary<AccountRole, (string User, string Password)> Logins = new()
    {
        [AccountRole.Administrator] = ("admin", TestAccounts.AdminPassword),
        [AccountRole.Operator] = ("operator", TestAccounts.OperatorPassword),
        [AccountRole.ReadOnly] = ("reader", TestAccounts.ReaderPassword),
    };

    [Fact]
    public async Task EveryRoute_ForEveryRole_FollowsTheRegistry()
    {
        var routes = server.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Template: e.RoutePattern.RawText!, Info: e.Metadata.GetMetadata<RedfishRouteInfo>()!))
            .ToList();
        Assert.True(routes.Count >= 35, $"only {routes.Count} routes");
        var failures = new List<string>();
        var checkedCount = 0;
        foreach (var (template, info) in routes)
        {
            var path = RouteValues.Aggregate(template, (p, kv) => p.Replace(kv.Key, kv.Value, StringComparison.Ordinal));
            foreach (var role in Enum.GetValues<AccountRole>())
            {
                using var client = server.ClientFor(Logins[role].User, Logins[role].Password);
                var status = await Send(client, info.Method, path);
                var held = PredefinedRoles.PrivilegesOf(role.ToString());
                var allowed = info.IsLogin || (PrivilegeRegistry.Allows(held, info.Privileges) && (info.RequiredRole is null || info.RequiredRole == role));
                // ConfigureSelf reaches only one's own account (the route value names admin).
                if (info.Entity == "ManagerAccount" && !held.Contains(Privilege.ConfigureUsers) && !held.Contains(Privilege.ConfigureManager))
                {
                    allowed = false;
                }
                var denied = status is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized;
                if (allowed == denied)
                {
                    failures.Add($"{role} {info.Method} {path}: {(int)status}, expected {(allowed ? "allowed" : "403")}");
                }
                checkedCount++;
            }
            var anonymous = await Send(server.Anonymous, info.Method, path);
            var open = info.IsAnonymous || info.IsLogin;
            if (open == (anonymous == HttpStatusCode.Unauthorized))
            {
                failures.Add($"anonymous {info.Method} {path}: {(int)anonymous}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {checkedCount} checks failed:\n{string.Join("\n", failures)}");
    }

    private async Task<HttpStatusCode> Send(HttpClient client, string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), server.Url(path));
        if (method is "POST" or "PATCH")
        {
            var body = path.EndsWith("ComputerSystem.Reset", StringComparison.Ordinal) ? """{"ResetType":"On"}"""
                // A private address: refused by the image policy without any network traffic (allowed = not 401/403).
                : path.EndsWith("InsertMedia", StringComparison.Ordinal) ? """{"Image":"http://10.0.0.1/x.iso"}"""
                : "{}";
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
