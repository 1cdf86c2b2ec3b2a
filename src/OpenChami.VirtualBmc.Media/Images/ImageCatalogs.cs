using System.Text;
using OpenChami.VirtualBmc.Slots.Configuration;
using OpenChami.VirtualBmc.Slots.Images;
using OpenChami.VirtualBmc.Slots.Media;

namespace OpenChami.VirtualBmc.Media.Images;

/// <summary>A catalog file on this host, read again on every listing so an edit takes effect at the next reimage.</summary>
public sealed class LocalImageCatalog(string path) : IImageCatalog
{
    public string Path { get; } = path;

    public Task<IReadOnlyList<CatalogImage>> ListAsync(CancellationToken cancellationToken = default)
    {
        var result = ImageCatalogReader.LoadFile(Path);
        return result.Succeeded
            ? Task.FromResult(result.Value!)
            : Task.FromException<IReadOnlyList<CatalogImage>>(new ImageCatalogException(string.Join("; ", result.Problems)));
    }
}

/// <summary>
/// The same catalog document served over http(s), fetched under the virtual-media download policy (scheme, allowed
/// hosts, address pinning, redirect checks, timeouts) and capped in size. Its entries may only name http(s) URLs:
/// a remote document never makes the service read a host file.
/// </summary>
public sealed class HttpImageCatalog : IImageCatalog
{
    /// <summary>A catalog is a list of names and checksums; anything larger is not one.</summary>
    public const long MaxBytes = 1024 * 1024;

    private readonly Uri _url;
    private readonly ImageFetchOptions _options;
    private readonly PinnedHttpFetcher _fetcher;
    private readonly UrlPolicy _policy;

    public HttpImageCatalog(Uri url, ImageFetchOptions policy)
    {
        _url = url;
        _options = policy with { TotalTimeout = TimeSpan.FromSeconds(Math.Min(60, policy.TotalTimeout.TotalSeconds)) };
        _policy = new UrlPolicy(_options);
        _fetcher = new PinnedHttpFetcher(_options, _policy);
    }

    public async Task<IReadOnlyList<CatalogImage>> ListAsync(CancellationToken cancellationToken = default)
    {
        var shown = PinnedHttpFetcher.Describe(_url);
        if (_policy.CheckUrl(_url, out var refusal) is null)
            throw new ImageCatalogException($"image catalog {shown}: {refusal}");
        using var total = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        total.CancelAfter(_options.TotalTimeout);
        string text;
        try
        {
            using var response = await _fetcher.GetAsync(_url, null, null, total.Token).ConfigureAwait(false);
            if (response.ContentLength > MaxBytes)
                throw new ImageCatalogException($"image catalog {shown}: {response.ContentLength} bytes is more than a catalog may be ({MaxBytes})");
            text = await ReadCappedAsync(response, shown, total.Token).ConfigureAwait(false);
        }
        catch (ImageFetchException e)
        {
            throw new ImageCatalogException($"image catalog {shown}: {e.Message}", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ImageCatalogException($"image catalog {shown}: no complete answer within {_options.TotalTimeout.TotalSeconds:0} s", e);
        }
        catch (HttpRequestException e)
        {
            throw new ImageCatalogException($"image catalog {shown}: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new ImageCatalogException($"image catalog {shown}: the connection failed while reading ({e.Message})", e);
        }
        var result = ImageCatalogReader.Parse(shown, text, pathBase: null);
        return result.Succeeded ? result.Value! : throw new ImageCatalogException(string.Join("; ", result.Problems));
    }

    private static async Task<string> ReadCappedAsync(PinnedResponse response, string shown, CancellationToken cancellationToken)
    {
        await using var body = await response.Response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
                throw new ImageCatalogException($"image catalog {shown}: more than {MaxBytes} bytes");
            buffer.Write(chunk, 0, read);
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}

/// <summary>Which catalog source a host file's <c>images.catalog</c> means: an http(s) URL or a local path.</summary>
public static class ImageCatalogs
{
    public static IImageCatalog? For(string? catalog, ImageFetchOptions policy) =>
        catalog is null ? null
        : catalog.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || catalog.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            ? new HttpImageCatalog(new Uri(catalog), policy)
            : new LocalImageCatalog(catalog);
}
