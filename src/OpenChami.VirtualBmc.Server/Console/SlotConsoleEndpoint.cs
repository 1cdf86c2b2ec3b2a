namespace OpenChami.VirtualBmc.Server.Hosting;

/// <summary>A slot's SSH console as Redfish advertises it: its port and how many sessions it takes.</summary>
public sealed record SlotConsoleEndpoint(int Port, int MaxSessions);
