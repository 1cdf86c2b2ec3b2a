using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Server.Security;

/// <summary>Loads the service's certificate; with generateSelfSigned, makes a pair once (key 0600) and reuses it.</summary>
public static class TlsCertificates
{
    public static X509Certificate2 Load(TlsConfig tls, IEnumerable<IPAddress> addresses, Serilog.ILogger log)
    {
        if (tls.GenerateSelfSigned && !File.Exists(tls.Certificate) && !File.Exists(tls.Key))
        {
            Generate(tls, addresses);
            log.Warning("generated a self-signed certificate at {Certificate} (key {Key}); clients must trust it explicitly", tls.Certificate, tls.Key);
        }
        var certificate = X509Certificate2.CreateFromPemFile(tls.Certificate, tls.Key);
        if (certificate.NotAfter < DateTime.Now)
        {
            log.Warning("the TLS certificate {Certificate} expired on {NotAfter:u}", tls.Certificate, certificate.NotAfter);
        }
        // Kestrel on Linux wants the key in an exportable, non-ephemeral form for TLS; re-import through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
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
