using OpenChami.VirtualBmc.Server.Security;

namespace OpenChami.VirtualBmc.Server.Cli;

/// <summary>Reads a password from stdin (never argv, which other users can read in /proc) and prints its hash.</summary>
public static class HashPasswordCommand
{
    private const string Help = """
        Usage: openchami-vbmc hash-password [--iterations N] < password-file

        Reads one password from standard input (the first line) and prints a salted PBKDF2-SHA256 hash for the
        'passwordHash' of an account in the accounts file. The password is never taken as an argument.
          --iterations N   PBKDF2 iterations (default 600000; at least 100000)

        Example:  printf '%s' "$PASSWORD" | openchami-vbmc hash-password
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, TextReader stdin)
    {
        var line = CommandLine.Parse("hash-password", args, new HashSet<string> { "--iterations" }, new HashSet<string>());
        if (line.Help)
        {
            stdout.WriteLine(Help);
            return ExitCodes.Ok;
        }
        var iterations = PasswordHasher.DefaultIterations;
        if (line.Get("--iterations") is { } text && (!int.TryParse(text, out iterations) || iterations < 100_000))
        {
            throw new UsageException($"hash-password: --iterations must be a whole number of at least 100000, not '{text}'");
        }
        var password = stdin.ReadLine();
        if (string.IsNullOrEmpty(password))
        {
            stderr.WriteLine("openchami-vbmc: hash-password: no password on standard input");
            return ExitCodes.Usage;
        }
        stdout.WriteLine(PasswordHasher.Hash(password, iterations));
        return ExitCodes.Ok;
    }
}
