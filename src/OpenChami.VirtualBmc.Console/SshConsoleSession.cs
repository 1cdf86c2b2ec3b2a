using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using OpenChami.VirtualBmc.Console.Native;
using OpenChami.VirtualBmc.Slots.Console;

namespace OpenChami.VirtualBmc.Console;

/// <summary>
/// One SSH connection to a slot's console, run start to end on its own thread (libssh sessions are single-threaded):
/// key exchange, password login, one "session" channel with pty-req and shell, then the console both ways. Everything
/// else (exec, subsystems such as sftp, other channel types such as port forwarding, agent and X11 requests, global
/// requests) is refused in the protocol and recorded.
/// </summary>
internal sealed unsafe class SshConsoleSession(SshConsoleServer server, SshConsoleEndpoint endpoint, Socket client, string source, IConsoleGate gate)
{
    private readonly SshConsoleOptions _options = server.Options;
    private readonly string _sessionId = Guid.NewGuid().ToString("N")[..12];
    private string? _account;
    private bool _loggedIn;
    private int _aborted;

    /// <summary>Ends the session from another thread: the socket is shut down, so libssh's next wait fails.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            try
            {
                client.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }
    }

    public void Run()
    {
        // Handshake, login and the console request must all happen within the grace time.
        using var grace = new Timer(_ => Abort(), null, _options.LoginGraceTime, Timeout.InfiniteTimeSpan);
        SessionHandle? session = null;
        try
        {
            session = server.Accept(client);
            long timeoutSeconds = Math.Max(1, (long)_options.LoginGraceTime.TotalSeconds);
            LibSsh.ssh_options_set(session, LibSsh.OptionsTimeout, &timeoutSeconds);
            if (LibSsh.ssh_handle_key_exchange(session) != LibSsh.Ok)
            {
                gate.Record(Event(ConsoleEventKind.HandshakeFailed, endpoint.SlotName, source, null,
                    _aborted == 1 ? "no SSH handshake within the login grace time" : "SSH handshake failed: " + LibSsh.LastError(session)));
                return;
            }
            LibSsh.ssh_set_auth_methods(session, LibSsh.AuthMethodPassword);
            if (Negotiate(session, out var channel, out var access) && _aborted == 0)
            {
                grace.Change(Timeout.Infinite, Timeout.Infinite);
                Serve(session, channel, access);
                Linger();
            }
        }
        catch (SshException e)
        {
            gate.Record(Event(ConsoleEventKind.HandshakeFailed, endpoint.SlotName, source, _account, e.Message));
        }
        finally
        {
            if (!_loggedIn)
            {
                server.LoggedIn(); // frees its place among the connections not logged in
            }
            if (session is not null)
            {
                if (!session.IsInvalid && _aborted == 0)
                {
                    LibSsh.ssh_disconnect(session);
                }
                session.Dispose(); // frees the channel and closes libssh's descriptor
            }
            client.Dispose();
        }
    }

    /// <summary>
    /// After the channel is closed, gives the client up to two seconds to close the connection itself: closing first
    /// would reset it while the client still sends its own close, and OpenSSH then exits 255 ("Broken pipe") instead of
    /// with the status sent.
    /// </summary>
    private void Linger()
    {
        var buffer = new byte[1024];
        var deadline = Environment.TickCount64 + 2000;
        try
        {
            while (_aborted == 0 && Environment.TickCount64 < deadline)
            {
                if (client.Poll(TimeSpan.FromMilliseconds(100), SelectMode.SelectRead) && client.Receive(buffer) == 0)
                {
                    return;
                }
            }
        }
        catch (SocketException)
        {
        }
    }

    /// <summary>The message loop until the client asks for the shell (the console) on its session channel.</summary>
    private bool Negotiate(SessionHandle session, out IntPtr channel, out ConsoleAccess access)
    {
        channel = IntPtr.Zero;
        access = ConsoleAccess.Rejected;
        var attempts = 0;
        var pty = false;
        while (true)
        {
            using var message = LibSsh.ssh_message_get(session);
            if (message.IsInvalid)
            {
                return false; // the client left, or the grace time ran out
            }
            var type = LibSsh.ssh_message_type(message);
            var subtype = LibSsh.ssh_message_subtype(message);
            if (type == LibSsh.RequestService)
            {
                LibSsh.ssh_message_reply_default(message); // accepts "ssh-userauth" and "ssh-connection"
                continue;
            }
            if (!_loggedIn)
            {
                if (type == LibSsh.RequestAuth && subtype == LibSsh.AuthMethodPassword)
                {
                    attempts++;
                    var user = LibSsh.Borrowed(LibSsh.ssh_message_auth_user(message)) ?? "";
                    var password = LibSsh.Borrowed(LibSsh.ssh_message_auth_password(message)) ?? "";
                    access = gate.LoginAsync(user, password, endpoint.SlotName, source, server.Stopping).GetAwaiter().GetResult();
                    if (access is ConsoleAccess.View or ConsoleAccess.Interact)
                    {
                        _account = user;
                        _loggedIn = true;
                        server.LoggedIn();
                        LibSsh.ssh_message_auth_reply_success(message, 0);
                        continue;
                    }
                    gate.Record(Event(ConsoleEventKind.LoginFailed, endpoint.SlotName, source, user,
                        access == ConsoleAccess.Busy ? $"{user}: logins busy, refused" : $"{user}: wrong user name or password, or account locked"));
                    if (attempts >= _options.MaxAuthTries)
                    {
                        return false;
                    }
                }
                // Only passwords are offered ("none", keys and keyboard-interactive are answered with that list).
                LibSsh.ssh_message_auth_set_methods(message, LibSsh.AuthMethodPassword);
                LibSsh.ssh_message_reply_default(message);
                continue;
            }
            switch (type)
            {
                case LibSsh.RequestChannelOpen when subtype == LibSsh.ChannelSession && channel == IntPtr.Zero:
                    channel = LibSsh.ssh_message_channel_request_open_reply_accept(message);
                    if (channel == IntPtr.Zero)
                    {
                        return false;
                    }
                    break;
                case LibSsh.RequestChannel when subtype == LibSsh.ChannelRequestPty && channel != IntPtr.Zero:
                    pty = true;
                    LibSsh.ssh_message_channel_request_reply_success(message);
                    break;
                case LibSsh.RequestChannel when subtype == LibSsh.ChannelRequestShell && channel != IntPtr.Zero:
                    LibSsh.ssh_message_channel_request_reply_success(message);
                    _ = pty; // a console without a pty (conman's script asks for one) still works: the guest's tty does the echo
                    return true;
                case LibSsh.RequestChannel when subtype is LibSsh.ChannelRequestEnv or LibSsh.ChannelRequestWindowChange:
                    LibSsh.ssh_message_reply_default(message); // harmless: refused without a record
                    break;
                default:
                    Refuse(message.DangerousGetHandle(), type, subtype);
                    LibSsh.ssh_message_reply_default(message);
                    break;
            }
        }
    }

    /// <summary>Records what was refused, in the client's terms.</summary>
    private void Refuse(IntPtr message, int type, int subtype)
    {
        var what = (type, subtype) switch
        {
            (LibSsh.RequestChannelOpen, LibSsh.ChannelSession) => "a second session channel",
            (LibSsh.RequestChannelOpen, 2) => "port forwarding (direct-tcpip channel)",
            (LibSsh.RequestChannelOpen, 3) => "port forwarding (forwarded-tcpip channel)",
            (LibSsh.RequestChannelOpen, 4) => "an X11 channel",
            (LibSsh.RequestChannelOpen, 5) => "an agent channel",
            (LibSsh.RequestChannelOpen, _) => "a channel of unknown type",
            (LibSsh.RequestChannel, LibSsh.ChannelRequestExec) => $"exec '{Clip(LibSsh.Borrowed(LibSsh.ssh_message_channel_request_command(message)))}'",
            (LibSsh.RequestChannel, LibSsh.ChannelRequestSubsystem) => $"subsystem '{Clip(LibSsh.Borrowed(LibSsh.ssh_message_channel_request_subsystem(message)))}'",
            (LibSsh.RequestChannel, LibSsh.ChannelRequestX11) => "X11 forwarding",
            (LibSsh.RequestChannel, LibSsh.ChannelRequestPty or LibSsh.ChannelRequestShell) => "a second console on the same connection",
            (LibSsh.RequestChannel, _) => "a channel request (agent forwarding or other)",
            (LibSsh.RequestGlobal, 1) => "remote port forwarding (tcpip-forward)",
            (LibSsh.RequestGlobal, 2) => null, // cancel-tcpip-forward of a forward that never existed
            (LibSsh.RequestGlobal, 3) => null, // keepalive: answered, nothing to record
            (LibSsh.RequestGlobal, _) => "a global request",
            _ => $"request type {type}",
        };
        if (what is not null)
        {
            gate.Record(Event(ConsoleEventKind.Refused, endpoint.SlotName, source, _account, what + " refused: this endpoint serves only the slot's console"));
        }
    }

    private ConsoleEvent Event(ConsoleEventKind kind, string slot, string from, string? account, string detail, long toGuest = 0, long fromGuest = 0) =>
        new(kind, slot, from, account, detail, toGuest, fromGuest, _sessionId);

    private static string Clip(string? s) => s is null ? "" : s.Length <= 64 ? s : s[..64] + "…";

    private void Serve(SessionHandle session, IntPtr channel, ConsoleAccess access)
    {
        var account = _account!;
        if (endpoint.Console is not { } console)
        {
            Line(channel, $"{endpoint.SlotName} has no virtual machine (it failed host validation): no console.");
            End(channel, 1);
            return;
        }
        if (console.Unsupported is { } unsupported)
        {
            Line(channel, unsupported);
            End(channel, 1);
            return;
        }
        if (server.Reserve(endpoint.SlotName, account) is { } full)
        {
            gate.Record(Event(ConsoleEventKind.Refused, endpoint.SlotName, source, account, full));
            Line(channel, full + ".");
            End(channel, 1);
            return;
        }
        long toGuest = 0, fromGuest = 0;
        var reason = "client closed the connection";
        var id = Interlocked.Increment(ref _nextId);
        Live[id] = this;
        try
        {
            using var viewer = console.Attach();
            gate.Record(Event(ConsoleEventKind.Opened, endpoint.SlotName, source, account,
                access == ConsoleAccess.Interact ? "console opened" : "console opened read-only (ReadOnly account: input is discarded)"));
            // From now on a late request (a second channel, exec, forwarding) is refused by libssh's default reply.
            LibSsh.ssh_set_message_callback(session, &OnLateMessage, checked((IntPtr)id));
            var buffer = new byte[4096];
            var lastActivity = Environment.TickCount64;
            var poll = (int)Math.Max(1, _options.PollInterval.TotalMilliseconds);
            var warned = false;
            fixed (byte* b = buffer)
            {
                while (true)
                {
                    var n = LibSsh.ssh_channel_read_timeout(channel, b, (uint)buffer.Length, 0, poll);
                    if (n < 0 || _aborted == 1)
                    {
                        reason = _aborted == 1 ? "service stopping" : "connection lost";
                        break;
                    }
                    if (n > 0)
                    {
                        lastActivity = Environment.TickCount64;
                        if (access == ConsoleAccess.Interact)
                        {
                            if (console.TrySend(new ReadOnlySpan<byte>(b, n)))
                            {
                                toGuest += n;
                            }
                        }
                        else if (!warned)
                        {
                            warned = true;
                            Line(channel, "[read-only console: your account's role may not type; input is discarded]");
                        }
                    }
                    else if (LibSsh.ssh_channel_is_eof(channel) != 0 || LibSsh.ssh_channel_is_open(channel) == 0)
                    {
                        break;
                    }
                    while (viewer.TryRead(out var chunk))
                    {
                        if (!Write(channel, chunk))
                        {
                            reason = "connection lost";
                            goto done;
                        }
                        fromGuest += chunk.Length;
                        lastActivity = Environment.TickCount64;
                    }
                    if (viewer.ClosedReason is { } closed)
                    {
                        Line(channel, closed);
                        reason = closed;
                        break;
                    }
                    if (Environment.TickCount64 - lastActivity > (long)_options.IdleTimeout.TotalMilliseconds)
                    {
                        reason = $"idle for {_options.IdleTimeout.TotalMinutes:0.#} min";
                        Line(channel, $"[console closed: {reason}]");
                        break;
                    }
                }
            }
        done:
            End(channel, 0);
        }
        finally
        {
            Live.TryRemove(id, out _);
            server.Release(endpoint.SlotName, account);
            gate.Record(Event(ConsoleEventKind.Closed, endpoint.SlotName, source, account, "console closed: " + reason, toGuest, fromGuest));
        }
    }

    private static bool Write(IntPtr channel, byte[] data)
    {
        fixed (byte* p = data)
        {
            var offset = 0;
            while (offset < data.Length)
            {
                var n = LibSsh.ssh_channel_write(channel, p + offset, (uint)(data.Length - offset));
                if (n <= 0)
                {
                    return false;
                }
                offset += n;
            }
        }
        return true;
    }

    private static void Line(IntPtr channel, string text) => Write(channel, Encoding.UTF8.GetBytes("\r\n" + text + "\r\n"));

    private static void End(IntPtr channel, int status)
    {
        _ = LibSsh.ssh_channel_request_send_exit_status(channel, status);
        _ = LibSsh.ssh_channel_send_eof(channel);
        _ = LibSsh.ssh_channel_close(channel);
    }

    // The late-message callback gets an id, not a GCHandle: nothing to free, and a stale id finds nothing.
    private static readonly ConcurrentDictionary<long, SshConsoleSession> Live = new();
    private static long _nextId;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnLateMessage(IntPtr session, IntPtr message, IntPtr data)
    {
        try
        {
            if (Live.TryGetValue(data, out var owner))
            {
                var type = LibSsh.ssh_message_type(message);
                var subtype = LibSsh.ssh_message_subtype(message);
                if (!(type == LibSsh.RequestChannel && subtype is LibSsh.ChannelRequestEnv or LibSsh.ChannelRequestWindowChange))
                {
                    owner.Refuse(message, type, subtype);
                }
            }
        }
#pragma warning disable CA1031 // an exception escaping a native callback kills the process
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        return 1; // libssh answers with its default refusal and frees the message
    }
}
