using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace OpenChami.VirtualBmc.TestSupport;

/// <summary>Small disk images for tests and the demo, and qemu-img when the machine has it.</summary>
public static class DiskImages
{
    /// <summary>The demo's base image: the catalog entry examples/demo/images.yaml names (and pins by checksum).</summary>
    public const string DemoImageName = "ubuntu-hpc-base";

    /// <summary>SHA-256 of <see cref="DemoBaseImage"/>; examples/demo/images.yaml carries the same value.</summary>
    public const string DemoBaseImageSha256 = "12627375c8fb97160a66cdff860128d3d672cfce0b5666cc47e5b9a7cdd7c92e";

    /// <summary>
    /// A 1 MiB raw disk: an MBR boot sector that says what it is, the rest zero. Deterministic, so the demo catalog can
    /// pin its checksum. Not bootable: the test driver never runs it.
    /// </summary>
    public static byte[] DemoBaseImage()
    {
        var disk = new byte[1024 * 1024];
        Encoding.ASCII.GetBytes("OpenCHAMI Virtual BMC demo base image (raw, 1 MiB)\n").CopyTo(disk, 3);
        disk[510] = 0x55;
        disk[511] = 0xaa;
        return disk;
    }

    /// <summary>Writes <see cref="DemoBaseImage"/> to <paramref name="path"/> (directories created) unless it is there with the right content.</summary>
    public static string WriteDemoBaseImage(string path)
    {
        var bytes = DemoBaseImage();
        if (!File.Exists(path) || Sha256(File.ReadAllBytes(path)) != Sha256(bytes))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var temp = path + ".tmp";
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite: true);
        }
        return path;
    }

    /// <summary>A raw image of <paramref name="size"/> bytes, a pattern seeded by <paramref name="seed"/>.</summary>
    public static byte[] Raw(int size, byte seed)
    {
        var data = new byte[size];
        for (var i = 0; i < size; i++)
            data[i] = (byte)(i * 13 + seed);
        return data;
    }

    public static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    public static string Sha256(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Path of qemu-img when installed (package qemu-utils; the QEMU tier installs it), else null.</summary>
    public static string? QemuImg { get; } = new[] { "/usr/bin/qemu-img", "/usr/local/bin/qemu-img" }.FirstOrDefault(File.Exists);

    /// <summary>Runs qemu-img; returns exit code, stdout, stderr.</summary>
    public static (int Code, string Out, string Err) RunQemuImg(params string[] args)
    {
        var start = new ProcessStartInfo(QemuImg ?? throw new InvalidOperationException("qemu-img is not installed"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(30_000))
        {
            process.Kill();
            throw new TimeoutException("qemu-img did not finish in 30 s");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary><c>qemu-img info --output=json</c> of an image (without opening its backing chain).</summary>
    public static JsonElement QemuImgInfo(string path)
    {
        var (code, output, error) = RunQemuImg("info", "--output=json", "-U", path);
        if (code != 0)
            throw new InvalidOperationException($"qemu-img info {path} failed ({code}): {error}");
        using var json = JsonDocument.Parse(output);
        return json.RootElement.Clone();
    }
}
