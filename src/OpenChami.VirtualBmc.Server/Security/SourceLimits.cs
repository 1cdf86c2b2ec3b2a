using System.Collections.Concurrent;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Connections;
using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Server.Security;

/// <summary>
/// Per-source-address limits, so one client cannot take an endpoint from everyone else:
/// <list type="bullet">
/// <item>connections: at most <see cref="SecurityConfig.MaxConnectionsPerSource"/> open at once per endpoint; one more
/// is closed at once, before the TLS handshake (the endpoint's own cap, 4,096, stays for everyone together);</item>
/// <item>pre-authentication requests: a token bucket per address, drained by every request that ends without an
/// authenticated identity (anonymous resources, logins, failed credentials). While it is empty, every request from
/// that address is answered 503 with Retry-After before any work is done. Authenticated requests never drain it.</item>
/// </list>
/// </summary>
public sealed class SourceLimits : IDisposable
{
    private readonly PartitionedRateLimiter<IPAddress> _preAuth;
    private readonly SecurityConfig _config;
    private long _refusedConnections;
    private long _refusedRequests;

    public SourceLimits(SecurityConfig config)
    {
        _config = config;
        var rate = Math.Max(1, config.PreAuthRequestsPerSecondPerSource);
        _preAuth = PartitionedRateLimiter.Create<IPAddress, IPAddress>(address => RateLimitPartition.GetTokenBucketLimiter(address, _ =>
            new TokenBucketRateLimiterOptions
            {
                TokenLimit = rate * 5,
                TokensPerPeriod = rate,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    /// <summary>Connections closed and requests refused by these limits so far.</summary>
    public (long Connections, long Requests) Refused => (Interlocked.Read(ref _refusedConnections), Interlocked.Read(ref _refusedRequests));

    /// <summary>Kestrel connection middleware for one endpoint: counts open connections per source address.</summary>
    public Func<ConnectionDelegate, ConnectionDelegate> PerSourceConnections()
    {
        var open = new ConcurrentDictionary<IPAddress, int>();
        var cap = Math.Max(1, _config.MaxConnectionsPerSource);
        return next => async connection =>
        {
            if (connection.RemoteEndPoint is not IPEndPoint { Address: var remote })
            {
                await next(connection);
                return;
            }
            var address = Normalize(remote);
            if (open.AddOrUpdate(address, 1, (_, n) => n + 1) > cap)
            {
                Release(open, address);
                Interlocked.Increment(ref _refusedConnections);
                connection.Abort(new ConnectionAbortedException("too many connections from this address"));
                return;
            }
            try
            {
                await next(connection);
            }
            finally
            {
                Release(open, address);
            }
        };
    }

    /// <summary>Middleware: refuses every request from a source whose pre-authentication budget is spent.</summary>
    public Task Invoke(HttpContext context, Func<Task> next)
    {
        if (context.Connection.RemoteIpAddress is not { } remote)
        {
            return next();
        }
        var address = Normalize(remote);
        using (var probe = _preAuth.AttemptAcquire(address, 0))
        {
            if (!probe.IsAcquired)
            {
                Interlocked.Increment(ref _refusedRequests);
                context.Response.Headers.RetryAfter = "1";
                return RedfishResponses.WriteErrorAsync(context, BaseMessages.ServiceTemporarilyUnavailable("1"));
            }
        }
        context.Response.OnStarting(() =>
        {
            if (context.Features.Get<RequestIdentity>() is null)
            {
                _preAuth.AttemptAcquire(address, 1).Dispose();
            }
            return Task.CompletedTask;
        });
        return next();
    }

    private static void Release(ConcurrentDictionary<IPAddress, int> open, IPAddress address)
    {
        while (true)
        {
            if (!open.TryGetValue(address, out var n))
            {
                return;
            }
            if (n <= 1 ? open.TryRemove(new KeyValuePair<IPAddress, int>(address, n)) : open.TryUpdate(address, n - 1, n))
            {
                return;
            }
        }
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    public void Dispose() => _preAuth.Dispose();
}
