using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OpenChami.VirtualBmc.Server.Security;

/// <summary>
/// Salted PBKDF2-HMAC-SHA256 hashes in the form <c>pbkdf2-sha256$iterations$salt$hash</c> (base64). Slow on purpose:
/// never run per request — verified credentials are cached by the authentication layer.
/// </summary>
public static class PasswordHasher
{
    /// <summary>OWASP's 2023 figure for PBKDF2-HMAC-SHA256.</summary>
    public const int DefaultIterations = 600_000;

    private const string Scheme = "pbkdf2-sha256";
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    public static string Hash(string password, int iterations = DefaultIterations)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Create(CultureInfo.InvariantCulture, $"{Scheme}${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    /// <summary>The iteration count of a stored hash (the default when it cannot be read).</summary>
    public static int IterationsOf(string stored) =>
        stored.Split('$') is [Scheme, var text, _, _] && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : DefaultIterations;

    /// <summary>Constant-time comparison of the derived key; a malformed stored hash never matches.</summary>
    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations < 10_000)
        {
            return false;
        }
        byte[] salt, expected;
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            expected = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
