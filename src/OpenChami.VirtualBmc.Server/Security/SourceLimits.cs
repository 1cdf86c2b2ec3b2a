using System.Collections.Concurrent;
using System.Net;
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
    private readonly ConcurrentDictionary<IPAddress, Bucket> _preAuth = new();
    private readonly double _rate;
    private readonly double _burst;
    private readonly SecurityConfig _config;
    private long _refusedConnections;
    private long _refusedRequests;

    public SourceLimits(SecurityConfig config)
    {
        _config = config;
        _rate = Math.Max(1, config.PreAuthRequestsPerSecondPerSource);
        _burst = _rate * 5;
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
        if (!BucketOf(address).HasToken(_rate, _burst))
        {
            Interlocked.Increment(ref _refusedRequests);
            context.Response.Headers.RetryAfter = "1";
            return RedfishResponses.WriteErrorAsync(context, BaseMessages.ServiceTemporarilyUnavailable("1"));
        }
        context.Response.OnStarting(() =>
        {
            if (context.Features.Get<RequestIdentity>() is null)
            {
                BucketOf(address).Take(_rate, _burst);
            }
            return Task.CompletedTask;
        });
        return next();
    }

    private Bucket BucketOf(IPAddress address)
    {
        if (_preAuth.Count > 65_536)
        {
            // Bounded: full buckets carry no information and are dropped.
            foreach (var full in _preAuth.Where(p => p.Value.IsFull(_rate, _burst)).Select(p => p.Key).ToList())
            {
                _preAuth.TryRemove(full, out _);
            }
        }
        return _preAuth.GetOrAdd(address, _ => new Bucket(_burst));
    }

    /// <summary>A token bucket: refills at the rate up to the burst; each unauthenticated request takes one.</summary>
    private sealed class Bucket(double burst)
    {
        private readonly Lock _lock = new();
        private double _tokens = burst;
        private long _at = System.Diagnostics.Stopwatch.GetTimestamp();

        public bool HasToken(double rate, double burstSize)
        {
            lock (_lock)
            {
                Refill(rate, burstSize);
                return _tokens >= 1;
            }
        }

        public void Take(double rate, double burstSize)
        {
            lock (_lock)
            {
                Refill(rate, burstSize);
                _tokens = Math.Max(0, _tokens - 1);
            }
        }

        public bool IsFull(double rate, double burstSize)
        {
            lock (_lock)
            {
                Refill(rate, burstSize);
                return _tokens >= burstSize;
            }
        }

        private void Refill(double rate, double burstSize)
        {
            var now = System.Diagnostics.Stopwatch.GetTimestamp();
            _tokens = Math.Min(burstSize, _tokens + System.Diagnostics.Stopwatch.GetElapsedTime(_at, now).TotalSeconds * rate);
            _at = now;
        }
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

    public void Dispose() => _preAuth.Clear();
}
