using OpenChami.VirtualBmc.Console.Native;

namespace OpenChami.VirtualBmc.Console;

/// <summary>
/// The service's SSH host key: Ed25519, made by libssh at first start and kept in the state directory (mode 0600), so
/// every slot's console presents the same key across restarts and sites can pin it in known_hosts.
/// </summary>
public sealed class SshHostKey
{
    public const string FileName = "ssh_host_ed25519_key";

    private SshHostKey(string path, string fingerprint, string publicKey)
    {
        Path = path;
        Fingerprint = fingerprint;
        PublicKey = publicKey;
    }

    public string Path { get; }

    /// <summary>As OpenSSH prints it: <c>SHA256:…</c>.</summary>
    public string Fingerprint { get; }

    /// <summary>The known_hosts form: <c>ssh-ed25519 AAAA…</c>.</summary>
    public string PublicKey { get; }

    public static string PathIn(string stateDirectory) => System.IO.Path.Combine(stateDirectory, FileName);

    /// <summary>Reads the key in <paramref name="stateDirectory"/>, making it first when there is none.</summary>
    public static SshHostKey LoadOrCreate(string stateDirectory, out bool created)
    {
        var path = PathIn(stateDirectory);
        created = false;
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(stateDirectory);
            Write(path);
            created = true;
        }
        return Load(path);
    }

    /// <summary>Reads an existing key; throws <see cref="SshException"/> when it is missing or not a key.</summary>
    public static SshHostKey Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SshException($"cannot read the SSH host key {path}: {e.Message}", e);
        }
        if (LibSsh.ssh_pki_import_privkey_base64(text, null, IntPtr.Zero, IntPtr.Zero, out var key) != LibSsh.Ok || key.IsInvalid)
        {
            key.Dispose();
            throw new SshException($"{path} is not an SSH private key libssh can read");
        }
        using (key)
        {
            return new SshHostKey(path, FingerprintOf(key), PublicKeyOf(key));
        }
    }

    private static void Write(string path)
    {
        if (LibSsh.ssh_pki_generate(LibSsh.KeyTypeEd25519, 0, out var key) != LibSsh.Ok || key.IsInvalid)
        {
            key.Dispose();
            throw new SshException("libssh could not generate an Ed25519 host key");
        }
        using (key)
        {
            if (LibSsh.ssh_pki_export_privkey_base64(key, null, IntPtr.Zero, IntPtr.Zero, out var b64) != LibSsh.Ok)
            {
                throw new SshException("libssh could not export the host key");
            }
            var text = LibSsh.TakeString(b64)!;
            // Written whole to a temporary file created 0600, then renamed: never readable by others, never half-written.
            var temporary = path + ".tmp";
            using (var file = new FileStream(temporary, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                file.Write(System.Text.Encoding.ASCII.GetBytes(text.EndsWith('\n') ? text : text + "\n"));
            }
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(temporary, path, overwrite: false);
        }
    }

    private static string FingerprintOf(KeyHandle key)
    {
        if (LibSsh.ssh_get_publickey_hash(key, LibSsh.PublicKeyHashSha256, out var hash, out var length) != LibSsh.Ok)
        {
            throw new SshException("libssh could not hash the host key");
        }
        try
        {
            return LibSsh.TakeString(LibSsh.ssh_get_fingerprint_hash(LibSsh.PublicKeyHashSha256, hash, length))
                ?? throw new SshException("libssh could not format the host key fingerprint");
        }
        finally
        {
            LibSsh.ssh_clean_pubkey_hash(ref hash);
        }
    }

    private static string PublicKeyOf(KeyHandle key)
    {
        if (LibSsh.ssh_pki_export_pubkey_base64(key, out var b64) != LibSsh.Ok)
        {
            throw new SshException("libssh could not export the host's public key");
        }
        var type = LibSsh.Borrowed(LibSsh.ssh_key_type_to_char(LibSsh.ssh_key_type(key))) ?? "ssh-ed25519";
        return type + " " + LibSsh.TakeString(b64);
    }
}

/// <summary>A libssh failure, with libssh's message.</summary>
public sealed class SshException : Exception
{
    public SshException(string message)
        : base(message)
    {
    }

    public SshException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public SshException()
    {
    }
}
