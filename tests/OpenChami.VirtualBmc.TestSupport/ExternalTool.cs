using System.Diagnostics;

namespace OpenChami.VirtualBmc.TestSupport;

/// <summary>Runs another implementation (xorriso, blkid, PyYAML) to check our output against; tests skip when it is absent.</summary>
public static class ExternalTool
{
    public static bool Exists(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/sbin").Append("/sbin")
            .Any(d => d.Length > 0 && File.Exists(Path.Combine(d, name)));

    public static (int Code, string Out, string Err) Run(string file, IEnumerable<string> args, string? stdin = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within 60 s");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    public static (int Code, string Out, string Err) Run(string file, params string[] args) => Run(file, (IEnumerable<string>)args);
}
