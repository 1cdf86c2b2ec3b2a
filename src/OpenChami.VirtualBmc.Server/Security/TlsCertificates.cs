using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Configuration;

namespace OpenChami.VirtualBmc.Server.Security;

/// <summary>Loads the service's certificate; with generateSelfSigned, makes a pair once (key 0600) and reuses it.</summary>
public static class TlsCertificates
{
    /// <summary>
    /// The TLS pair as a configuration problem (file: error tls-…), or none: unreadable files, a certificate or key that
    /// is not PEM, a key that does not match the certificate. Checked with the rest of the configuration, so serve and
    /// validate stop with exit 3 and a reload keeps the running pair, instead of an exception ending the process.
    /// </summary>
    public static ConfigProblem? Check(TlsConfig tls)
    {
        if (tls.GenerateSelfSigned && !File.Exists(tls.Certificate) && !File.Exists(tls.Key))
        {
            return null; // made at start
        }
        try
        {
            using var certificate = X509Certificate2.CreateFromPemFile(tls.Certificate, tls.Key);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var file = File.Exists(tls.Certificate) ? tls.Key : tls.Certificate;
            return new ConfigProblem(SourceLocation.StartOf(file), ProblemCodes.TlsUnreadable, $"cannot read the TLS {(file == tls.Key ? "key" : "certificate")}: {e.Message}");
        }
        catch (ArgumentException e)
        {
            return new ConfigProblem(SourceLocation.StartOf(tls.Key), ProblemCodes.TlsKeyMismatch, $"the key does not match the certificate {tls.Certificate} ({e.Message})");
        }
        catch (CryptographicException e)
        {
            return new ConfigProblem(SourceLocation.StartOf(tls.Certificate), ProblemCodes.TlsInvalid, $"not a PEM certificate with a matching PEM private key ({tls.Key}): {e.Message}");
        }
    }

    /// <summary>
    /// Loads the pair and the chain served with it; a pair that fails <see cref="Check"/> throws
    /// <see cref="CryptographicException"/> (never ArgumentException). The certificate file may hold the intermediates
    /// after the certificate (a "fullchain" PEM, as a site CA issues it): they are sent in the handshake, so a client
    /// that trusts only the site's root can verify the service. The context is built once here (its chain, offline) and
    /// given to every handshake; building it reads the system trust store once, tens of milliseconds, which is why
    /// serve starts it beside the host check rather than after it.
    /// </summary>
    public static SslStreamCertificateContext Load(TlsConfig tls, IEnumerable<IPAddress> addresses, Serilog.ILogger log)
    {
        if (tls.GenerateSelfSigned && !File.Exists(tls.Certificate) && !File.Exists(tls.Key))
        {
            Generate(tls, addresses);
            log.Warning("generated a self-signed certificate at {Certificate} (key {Key}); clients must trust it explicitly", tls.Certificate, tls.Key);
        }
        X509Certificate2 certificate;
        var intermediates = new X509Certificate2Collection();
        try
        {
            // Used as loaded: the PKCS#12 round trip that persists a PEM key is for Windows' TLS stack (Kestrel does it
            // there only); on Linux, OpenSSL signs with the key as it is.
            certificate = X509Certificate2.CreateFromPemFile(tls.Certificate, tls.Key);
            intermediates.ImportFromPemFile(tls.Certificate);
        }
        catch (ArgumentException e)
        {
            throw new CryptographicException(e.Message, e);
        }
        foreach (var same in intermediates.Where(c => c.RawDataMemory.Span.SequenceEqual(certificate.RawDataMemory.Span)).ToList())
        {
            intermediates.Remove(same); // the certificate itself, first in the file
        }
        if (certificate.NotAfter < DateTime.Now)
        {
            log.Warning("the TLS certificate {Certificate} expired on {NotAfter:u}", tls.Certificate, certificate.NotAfter);
        }
        return SslStreamCertificateContext.Create(certificate, intermediates, offline: true);
    }

    /// <summary>ECDSA P-256, one year, every endpoint address as an IP SAN.</summary>
    public static void Generate(TlsConfig tls, IEnumerable<IPAddress> addresses)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=openchami-vbmc", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        foreach (var address in addresses.Distinct())
        {
            names.AddIpAddress(address);
        }
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1));
        Directory.CreateDirectory(Path.GetDirectoryName(tls.Key)!);
        Directory.CreateDirectory(Path.GetDirectoryName(tls.Certificate)!);
        File.WriteAllText(tls.Key, key.ExportPkcs8PrivateKeyPem());
        File.SetUnixFileMode(tls.Key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(tls.Certificate, certificate.ExportCertificatePem());
    }
}
