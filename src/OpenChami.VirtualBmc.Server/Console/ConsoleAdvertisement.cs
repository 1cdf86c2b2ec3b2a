using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Server.Hosting;

namespace OpenChami.VirtualBmc.Server.Console;

/// <summary>
/// How a slot's SSH console is advertised, in the two places OpenCHAMI reads: SMD's discovery stores
/// ComputerSystem.SerialConsole.SSH (ServiceEnabled, Port, ConsoleEntryCommand), Magellan's path only
/// Manager.CommandShell.ConnectTypesSupported. The SSH login lands on the console itself, so the console shares the
/// manager's command shell and needs no entry command. IPMI and Telnet stay disabled, their ports numbers.
/// </summary>
public static class ConsoleAdvertisement
{
    public const int IpmiPort = 623;
    public const int SshPort = 22;
    public const int TelnetPort = 23;

    public static SerialConsole SerialConsole(SlotContext slot)
    {
        var endpoint = slot.ConsoleEndpoint;
        return new SerialConsole(
            endpoint?.MaxSessions ?? 0,
            new SerialConsoleProtocol(false, IpmiPort),
            new SerialConsoleProtocol(endpoint is not null, endpoint?.Port ?? SshPort) { SharedWithManagerCLI = true },
            new SerialConsoleProtocol(false, TelnetPort));
    }

    /// <summary>A slot's BMC has the SSH command shell (its console); the host endpoint has none.</summary>
    public static CommandShell CommandShell(EndpointScope scope) =>
        !scope.IsHostEndpoint && scope.Slots[0].ConsoleEndpoint is { } endpoint
            ? new CommandShell(true, endpoint.MaxSessions, ["SSH"])
            : new CommandShell(false, 0, ["SSH"]);
}
