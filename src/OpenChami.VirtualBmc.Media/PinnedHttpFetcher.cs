using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using OpenChami.VirtualBmc.Slots.Media;

namespace OpenChami.VirtualBmc.Media;

/// <summary>The final answer of a fetch: a 200 with its body unread, or a 304 for the conditional request.</summary>
internal sealed class PinnedResponse(HttpMessageInvoker invoker, HttpResponseMessage response, Uri finalUrl) : IDisposable
{
    public HttpResponseMessage Response { get; } = response;
    public Uri FinalUrl { get; } = finalUrl;
    public bool NotModified => Response.StatusCode == HttpStatusCode.NotModified;
    public string? ETag => Response.Headers.ETag?.ToString();
    public long? ContentLength => Response.Content.Headers.ContentLength;

    public void Dispose()
    {
        Response.Dispose();
        invoker.Dispose();
    }
}

/// <summary>
/// One GET through the SSRF policy: every hop's host is resolved once, checked, pinned, and the socket connects to
/// exactly that address (<see cref="SocketsHttpHandler.ConnectCallback"/>); redirects are followed here, re-checked,
/// never downgraded from https, at most <see cref="ImageFetchOptions.MaxRedirects"/>. No proxy, no decompression.
/// </summary>
internal sealed class PinnedHttpFetcher(ImageFetchOptions options, UrlPolicy policy)
{
    private static readonly HashSet<HttpStatusCode> Redirects =
        [HttpStatusCode.MovedPermanently, HttpStatusCode.Found, HttpStatusCode.SeeOther, HttpStatusCode.TemporaryRedirect, HttpStatusCode.PermanentRedirect];

    public async Task<PinnedResponse> GetAsync(Uri url, ImageCredentials? credentials, string? ifNoneMatch, CancellationToken cancellationToken)
    {
        var pins = new ConcurrentDictionary<string, IPAddress>(StringComparer.OrdinalIgnoreCase);
        var invoker = new HttpMessageInvoker(CreateHandler(pins));
        try
        {
            return await FollowAsync(invoker, pins, url, credentials, ifNoneMatch, cancellationToken);
        }
        catch
        {
            invoker.Dispose();
            throw;
        }
    }

    private async Task<PinnedResponse> FollowAsync(
        HttpMessageInvoker invoker, ConcurrentDictionary<string, IPAddress> pins, Uri url, ImageCredentials? credentials,
        string? ifNoneMatch, CancellationToken cancellationToken)
    {
        var origin = url;
        var current = url;
        var visited = new HashSet<string>(StringComparer.Ordinal);
        for (var hop = 0; ; hop++)
        {
            var target = policy.CheckUrl(current, out var refusal)
                ?? throw new ImageFetchException(ImageFetchErrorKind.Refused, $"{Describe(current)}: {refusal}");
            if (hop > 0 && origin.Scheme == Uri.UriSchemeHttps && target.Scheme == "http")
                throw new ImageFetchException(ImageFetchErrorKind.Refused, $"{Describe(current)}: redirect from https to http refused");
            if (!visited.Add(current.AbsoluteUri))
                throw new ImageFetchException(ImageFetchErrorKind.SourceError, $"{Describe(current)}: redirect loop");
            await PinAsync(target, pins, cancellationToken);

            using var request = new HttpRequestMessage(HttpMethod.Get, current) { Version = HttpVersion.Version11 };
            request.Headers.Accept.ParseAdd("*/*");
            if (ifNoneMatch is not null)
                request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
            if (credentials is not null && SameOrigin(origin, current))
                request.Headers.Authorization = Basic(credentials);

            var response = await SendAsync(invoker, request, current, cancellationToken);
            if (Redirects.Contains(response.StatusCode))
            {
                var location = response.Headers.Location;
                response.Dispose();
                if (location is null || !Uri.TryCreate(current, location, out var next))
                    throw new ImageFetchException(ImageFetchErrorKind.SourceError, $"{Describe(current)}: redirect without a usable Location");
                if (hop + 1 > options.MaxRedirects)
                    throw new ImageFetchException(ImageFetchErrorKind.SourceError, $"{Describe(origin)}: more than {options.MaxRedirects} redirects");
                current = next;
                continue;
            }
            if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotModified)
                return new PinnedResponse(invoker, response, current);

            var status = (int)response.StatusCode;
            response.Dispose();
            throw status switch
            {
                401 or 403 => new ImageFetchException(ImageFetchErrorKind.Unauthorized, $"{Describe(current)}: the server answered {status}"),
                404 or 410 => new ImageFetchException(ImageFetchErrorKind.NotFound, $"{Describe(current)}: the server answered {status}"),
                _ => new ImageFetchException(ImageFetchErrorKind.SourceError, $"{Describe(current)}: the server answered {status}"),
            };
        }
    }

    private async Task PinAsync(UrlTarget target, ConcurrentDictionary<string, IPAddress> pins, CancellationToken cancellationToken)
    {
        if (pins.TryGetValue(target.Host, out var pinned))
        {
            // Pinned earlier in this fetch: the check ran on this very address; re-check against this hop's target anyway.
            Check(target, pinned);
            return;
        }
        IPAddress[] addresses;
        if (target.Literal is not null)
        {
            addresses = [target.Literal];
        }
        else
        {
            try
            {
                var resolve = options.Resolver ?? ((host, ct) => Dns.GetHostAddressesAsync(host, ct));
                addresses = await resolve(target.Host, cancellationToken);
            }
            catch (Exception ex) when (ex is SocketException or ArgumentException)
            {
                throw new ImageFetchException(ImageFetchErrorKind.Unreachable, $"{Describe(target.Url)}: host name could not be resolved", ex);
            }
            if (addresses.Length == 0)
                throw new ImageFetchException(ImageFetchErrorKind.Unreachable, $"{Describe(target.Url)}: host name has no addresses");
        }
        // Every address the name resolves to must pass, so a mixed answer cannot smuggle in an internal one.
        foreach (var address in addresses)
            Check(target, address);
        pins[target.Host] = UrlPolicy.Normalize(addresses[0]);
    }

    private void Check(UrlTarget target, IPAddress address)
    {
        var refusal = policy.CheckAddress(target, address);
        if (refusal is not null)
            throw new ImageFetchException(ImageFetchErrorKind.Refused, $"{Describe(target.Url)}: {refusal}");
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMessageInvoker invoker, HttpRequestMessage request, Uri url, CancellationToken cancellationToken)
    {
        using var headers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        headers.CancelAfter(options.HeadersTimeout);
        try
        {
            return await invoker.SendAsync(request, headers.Token);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ImageFetchException(ImageFetchErrorKind.Timeout, $"{Describe(url)}: no response headers in time", ex);
        }
        catch (HttpRequestException ex)
        {
            throw Translate(ex, url);
        }
    }

    internal static ImageFetchException Translate(HttpRequestException ex, Uri url)
    {
        if (ex.HttpRequestError == HttpRequestError.SecureConnectionError || ex.InnerException is AuthenticationException)
            return new ImageFetchException(ImageFetchErrorKind.TlsFailure, $"{Describe(url)}: TLS failure", ex);
        if (ex.InnerException is TimeoutException)
            return new ImageFetchException(ImageFetchErrorKind.Timeout, $"{Describe(url)}: connect timed out", ex);
        return new ImageFetchException(ImageFetchErrorKind.Unreachable, $"{Describe(url)}: {ex.HttpRequestError}", ex);
    }

    private SocketsHttpHandler CreateHandler(ConcurrentDictionary<string, IPAddress> pins)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            PreAuthenticate = false,
            Credentials = null,
            ConnectTimeout = options.ConnectTimeout,
            MaxResponseHeadersLength = 64,
            ConnectCallback = async (context, ct) =>
            {
                var host = context.DnsEndPoint.Host.Trim('[', ']').TrimEnd('.');
                if (!pins.TryGetValue(host, out var address))
                    throw new InvalidOperationException($"no pinned address for '{host}'");
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        if (!options.VerifyTls)
        {
            // Administrator setting (VerifyTls=false), off by default and documented in docs/virtual-media.md.
#pragma warning disable CA5359
            handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = static (_, _, _, _) => true };
#pragma warning restore CA5359
        }
        return handler;
    }

    private static AuthenticationHeaderValue Basic(ImageCredentials credentials) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.UserName}:{credentials.Password}")));

    private static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;

    /// <summary>The URL for messages: no user information, no query (signed URLs carry secrets there).</summary>
    internal static string Describe(Uri url) =>
        url.IsAbsoluteUri ? url.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.SafeUnescaped) : "(relative URL)";
}
