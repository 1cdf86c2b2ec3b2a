using System.Runtime.InteropServices;

namespace OpenChami.VirtualBmc.Console.Native;

/// <summary>
/// The part of libssh's C API (Debian's libssh-4, 0.10) the console uses: the server side, message API. A session and
/// everything under it (channels, messages) is used from one thread only; libssh is thread-safe across sessions.
/// </summary>
internal static unsafe partial class LibSsh
{
    private const string Lib = "libssh.so.4";

    public const int Ok = 0;
    public const int Error = -1;

    // enum ssh_requests_e
    public const int RequestAuth = 1;
    public const int RequestChannelOpen = 2;
    public const int RequestChannel = 3;
    public const int RequestService = 4;
    public const int RequestGlobal = 5;

    // enum ssh_channel_type_e
    public const int ChannelSession = 1;

    // enum ssh_channel_requests_e
    public const int ChannelRequestPty = 1;
    public const int ChannelRequestExec = 2;
    public const int ChannelRequestShell = 3;
    public const int ChannelRequestEnv = 4;
    public const int ChannelRequestSubsystem = 5;
    public const int ChannelRequestWindowChange = 6;
    public const int ChannelRequestX11 = 7;

    public const int AuthMethodNone = 0x1;
    public const int AuthMethodPassword = 0x2;

    public const int KeyTypeEd25519 = 5;
    public const int PublicKeyHashSha256 = 2;

    // enum ssh_options_e / ssh_bind_options_e
    public const int OptionsTimeout = 9;
    public const int BindOptionsHostKey = 3;
    public const int BindOptionsProcessConfig = 19;

    [LibraryImport(Lib)]
    public static partial int ssh_init();

    [LibraryImport(Lib)]
    public static partial IntPtr ssh_get_error(IntPtr sessionOrBind);

    // --- bind: holds the host key; sockets are accepted by .NET and handed over with ssh_bind_accept_fd ---
    [LibraryImport(Lib)]
    public static partial BindHandle ssh_bind_new();

    [LibraryImport(Lib)]
    public static partial void ssh_bind_free(IntPtr bind);

    [LibraryImport(Lib)]
    public static partial int ssh_bind_options_set(BindHandle bind, int type, void* value);

    [LibraryImport(Lib)]
    public static partial int ssh_bind_accept_fd(BindHandle bind, SessionHandle session, int fd);

    // --- session ---
    [LibraryImport(Lib)]
    public static partial SessionHandle ssh_new();

    [LibraryImport(Lib)]
    public static partial void ssh_free(IntPtr session);

    [LibraryImport(Lib)]
    public static partial int ssh_options_set(SessionHandle session, int type, void* value);

    [LibraryImport(Lib)]
    public static partial int ssh_handle_key_exchange(SessionHandle session);

    [LibraryImport(Lib)]
    public static partial void ssh_set_auth_methods(SessionHandle session, int methods);

    [LibraryImport(Lib)]
    public static partial void ssh_disconnect(SessionHandle session);

    [LibraryImport(Lib)]
    public static partial void ssh_set_message_callback(SessionHandle session, delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr, int> callback, IntPtr data);

    // --- messages (owned by the caller of ssh_message_get; freed with ssh_message_free) ---
    [LibraryImport(Lib)]
    public static partial MessageHandle ssh_message_get(SessionHandle session);

    [LibraryImport(Lib)]
    public static partial void ssh_message_free(IntPtr message);

    [LibraryImport(Lib)]
    public static partial int ssh_message_type(MessageHandle message);

    [LibraryImport(Lib)]
    public static partial int ssh_message_type(IntPtr message);

    [LibraryImport(Lib)]
    public static partial int ssh_message_subtype(MessageHandle message);

    [LibraryImport(Lib)]
    public static partial int ssh_message_subtype(IntPtr message);

    /// <summary>Refuses the request in the protocol's default way (accepts only service requests).</summary>
    [LibraryImport(Lib)]
    public static partial int ssh_message_reply_default(MessageHandle message);

    [LibraryImport(Lib)]
    public static partial IntPtr ssh_message_auth_user(MessageHandle message);

    [LibraryImport(Lib)]
    public static partial IntPtr ssh_message_auth_password(MessageHandle message);

    [LibraryImport(Lib)]
    public static partial int ssh_message_auth_reply_success(MessageHandle message, int partial);

    [LibraryImport(Lib)]
    public static partial int ssh_message_auth_set_methods(MessageHandle message, int methods);

    /// <summary>The channel belongs to the session: closed and freed with it or with ssh_channel_free.</summary>
    [LibraryImport(Lib)]
    public static partial IntPtr ssh_message_channel_request_open_reply_accept(MessageHandle message);

    [LibraryImport(Lib)]
    public static partial int ssh_message_channel_request_reply_success(MessageHandle message);

    [LibraryImport(Lib)]
    public static partial IntPtr ssh_message_channel_request_command(MessageHandle message);

    [LibraryImport(Lib)]
    public static partial IntPtr ssh_message_channel_request_command(IntPtr message);

    [LibraryImport(Lib)]
    public static partial IntPtr ssh_message_channel_request_subsystem(MessageHandle message);

    [LibraryImport(Lib)]
    public static partial IntPtr ssh_message_channel_request_subsystem(IntPtr message);

    // --- channels ---
    [LibraryImport(Lib)]
    public static partial int ssh_channel_read_timeout(IntPtr channel, byte* dest, uint count, int isStderr, int timeoutMs);

    [LibraryImport(Lib)]
    public static partial int ssh_channel_write(IntPtr channel, byte* data, uint length);

    [LibraryImport(Lib)]
    public static partial int ssh_channel_is_eof(IntPtr channel);

    [LibraryImport(Lib)]
    public static partial int ssh_channel_is_open(IntPtr channel);

    [LibraryImport(Lib)]
    public static partial int ssh_channel_send_eof(IntPtr channel);

    [LibraryImport(Lib)]
    public static partial int ssh_channel_request_send_exit_status(IntPtr channel, int status);

    [LibraryImport(Lib)]
    public static partial int ssh_channel_close(IntPtr channel);

    [LibraryImport(Lib)]
    public static partial void ssh_channel_free(IntPtr channel);

    // --- keys ---
    [LibraryImport(Lib)]
    public static partial int ssh_pki_generate(int type, int parameter, out KeyHandle key);

    [LibraryImport(Lib)]
    public static partial void ssh_key_free(IntPtr key);

    [LibraryImport(Lib)]
    public static partial int ssh_key_type(KeyHandle key);

    [LibraryImport(Lib)]
    public static partial IntPtr ssh_key_type_to_char(int type);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ssh_pki_export_privkey_base64(KeyHandle key, string? passphrase, IntPtr authFn, IntPtr authData, out IntPtr b64);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ssh_pki_import_privkey_base64(string b64, string? passphrase, IntPtr authFn, IntPtr authData, out KeyHandle key);

    [LibraryImport(Lib)]
    public static partial int ssh_pki_export_pubkey_base64(KeyHandle key, out IntPtr b64);

    [LibraryImport(Lib)]
    public static partial int ssh_get_publickey_hash(KeyHandle key, int type, out IntPtr hash, out nuint length);

    [LibraryImport(Lib)]
    public static partial void ssh_clean_pubkey_hash(ref IntPtr hash);

    [LibraryImport(Lib)]
    public static partial IntPtr ssh_get_fingerprint_hash(int type, IntPtr hash, nuint length);

    [LibraryImport(Lib)]
    public static partial void ssh_string_free_char(IntPtr s);

    /// <summary>Copies a libssh-allocated string and frees it.</summary>
    public static string? TakeString(IntPtr s)
    {
        if (s == IntPtr.Zero)
        {
            return null;
        }
        try
        {
            return Marshal.PtrToStringUTF8(s);
        }
        finally
        {
            ssh_string_free_char(s);
        }
    }

    /// <summary>A string owned by libssh (valid while its object lives): copied, not freed.</summary>
    public static string? Borrowed(IntPtr s) => s == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(s);

    public static string LastError(SafeHandle owner)
    {
        var added = false;
        owner.DangerousAddRef(ref added);
        try
        {
            return Borrowed(ssh_get_error(owner.DangerousGetHandle())) ?? "unknown libssh error";
        }
        finally
        {
            if (added)
            {
                owner.DangerousRelease();
            }
        }
    }
}
