using System.Diagnostics;
using System.Text;

namespace OpenChami.VirtualBmc.TestSupport;

/// <summary>OpenSSH's ssh client (Debian openssh-client), given its password by sshpass, as an operator or conman runs it.</summary>
public static class SshClient
{
    public static string[] Options(int port) =>
    [
        "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
        "-o", "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1",
        "-o", "ConnectTimeout=10", "-o", "BatchMode=no",
    ];

    /// <summary>Runs ssh to the end (with a 30 s limit) and returns its exit code and output.</summary>
    public static Task<(int Code, string Out, string Err)> RunAsync(string password, int port, string target, params string[] extra) =>
        RunCommandAsync(password, port, target, extra, []);

    /// <summary>The same with a remote command after the target (what an exec request carries).</summary>
    public static async Task<(int Code, string Out, string Err)> RunCommandAsync(string password, int port, string target, string[] extra, string[] command)
    {
        using var process = Start(password, port, target, extra, command);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"ssh {string.Join(' ', extra)} {target} did not finish within 30 s; output so far: {Describe(process)}");
        }
        return (process.ExitCode, await output, await error);
    }

    private static string Describe(Process process) => process.HasExited ? process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "running";

    public static Process Start(string password, int port, string target, params string[] extra) => Start(password, port, target, extra, []);

    public static Process Start(string password, int port, string target, string[] extra, string[] command)
    {
        var info = new ProcessStartInfo("sshpass")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add("-e"); // the password from SSHPASS, not the command line
        info.Environment["SSHPASS"] = password;
        info.ArgumentList.Add("ssh");
        foreach (var o in Options(port).Concat(extra))
        {
            info.ArgumentList.Add(o);
        }
        info.ArgumentList.Add(target);
        foreach (var c in command)
        {
            info.ArgumentList.Add(c);
        }
        return Process.Start(info)!;
    }
}

/// <summary>A long-running ssh session whose output is collected as it arrives.</summary>
public sealed class SshSession : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Task _reader;

    public SshSession(string password, int port, string target, params string[] extra)
    {
        _process = SshClient.Start(password, port, target, extra);
        _reader = Task.Run(async () =>
        {
            var buffer = new char[4096];
            int n;
            while ((n = await _process.StandardOutput.ReadAsync(buffer)) > 0)
            {
                lock (_output)
                {
                    _output.Append(buffer, 0, n);
                }
            }
        });
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public void Type(string text)
    {
        _process.StandardInput.Write(text);
        _process.StandardInput.Flush();
    }

    /// <summary>Waits until the output contains <paramref name="text"/>; false after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Output.Contains(text, StringComparison.Ordinal))
            {
                return true;
            }
            await Task.Delay(20);
        }
        return Output.Contains(text, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.WaitForExit(5000);
        _process.Dispose();
    }
}
