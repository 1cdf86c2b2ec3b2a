namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>Every URI the service serves, in one place so links and routes cannot disagree.</summary>
public static class Paths
{
    public const string Root = "/redfish/v1";
    public const string Systems = "/redfish/v1/Systems";
    public const string Chassis = "/redfish/v1/Chassis";
    public const string Managers = "/redfish/v1/Managers";
    public const string AccountService = "/redfish/v1/AccountService";
    public const string Accounts = "/redfish/v1/AccountService/Accounts";
    public const string Roles = "/redfish/v1/AccountService/Roles";
    public const string Metadata = "/redfish/v1/$metadata";
    public const string OData = "/redfish/v1/odata";
    public const string ValidationReport = "/redfish/v1/Oem/OpenCHAMI/ValidationReport";

    /// <summary>The one Manager of a slot endpoint (and of the host endpoint).</summary>
    public const string ManagerId = "BMC";

    public static string System(string id) => $"{Systems}/{id}";
    public static string Reset(string id) => $"{Systems}/{id}/Actions/ComputerSystem.Reset";
    public static string ResetActionInfo(string id) => $"{Systems}/{id}/ResetActionInfo";
    public const string ReimageAction = "OpenCHAMIComputerSystem.Reimage";
    public const string DeleteStateAction = "OpenCHAMIComputerSystem.DeleteState";
    public static string OemAction(string id, string action) => $"{Systems}/{id}/Actions/Oem/{action}";
    public static string SystemNics(string id) => $"{Systems}/{id}/EthernetInterfaces";
    public static string SystemNic(string id, string nic) => $"{Systems}/{id}/EthernetInterfaces/{nic}";
    public static string SystemMedia(string id) => $"{Systems}/{id}/VirtualMedia";
    public static string PCIeDevice(string id, string device) => $"{Systems}/{id}/PCIeDevices/{device}";
    public static string PCIeFunctions(string id, string device) => $"{Systems}/{id}/PCIeDevices/{device}/PCIeFunctions";
    public static string PCIeFunction(string id, string device) => $"{Systems}/{id}/PCIeDevices/{device}/PCIeFunctions/0";
    public static string Processors(string id) => $"{Systems}/{id}/Processors";
    public static string Processor(string id, string cpu) => $"{Systems}/{id}/Processors/{cpu}";
    public static string Memory(string id) => $"{Systems}/{id}/Memory";
    public static string MemoryEntry(string id, string memory) => $"{Systems}/{id}/Memory/{memory}";
    public static string Storage(string id) => $"{Systems}/{id}/Storage";
    public static string StorageMember(string id, string storage) => $"{Systems}/{id}/Storage/{storage}";
    /// <summary>A slot's disk under its Chassis: the Drive schema deprecates Systems/{id}/Storage/{s}/Drives/{d}.</summary>
    public static string Drive(string id, string drive) => $"{Chassis}/{id}/Drives/{drive}";
    public static string SimpleStorage(string id) => $"{Systems}/{id}/SimpleStorage";
    public static string SimpleStorageMember(string id, string storage) => $"{Systems}/{id}/SimpleStorage/{storage}";
    public static string BootOptions(string id) => $"{Systems}/{id}/BootOptions";
    public static string BootOption(string id, string reference) => $"{Systems}/{id}/BootOptions/{reference}";
    public static string SetDefaultBootOrder(string id) => $"{Systems}/{id}/Actions/ComputerSystem.SetDefaultBootOrder";
    public static string Bios(string id) => $"{Systems}/{id}/Bios";
    public static string BiosSettings(string id) => $"{Systems}/{id}/Bios/Settings";
    public static string ResetBios(string id) => $"{Systems}/{id}/Bios/Actions/Bios.ResetBios";
    public static string SecureBoot(string id) => $"{Systems}/{id}/SecureBoot";
    public const string Registries = "/redfish/v1/Registries";
    public static string RegistryFile(string id) => $"{Registries}/{id}";
    public static string RegistryDocument(string id, string version) => $"{Registries}/{id}/{id}.{version}";
    public static string ChassisMember(string id) => $"{Chassis}/{id}";
    public static string Manager => $"{Managers}/{ManagerId}";
    public static string ManagerNics => $"{Manager}/EthernetInterfaces";
    public static string ManagerNic => $"{Manager}/EthernetInterfaces/bmc0";
    public static string ManagerMedia => $"{Manager}/VirtualMedia";
    public static string ManagerReset => $"{Manager}/Actions/Manager.Reset";
    public static string ManagerResetActionInfo => $"{Manager}/ResetActionInfo";
    public static string Account(string user) => $"{Accounts}/{user}";
    public static string Role(string role) => $"{Roles}/{role}";

    // The Manager's network protocols and log services, and the update service (firmware and software inventory).
    public static string ManagerNetworkProtocol => $"{Manager}/NetworkProtocol";
    public static string ManagerLogServices => $"{Manager}/LogServices";
    public static string ManagerLogService(string service) => $"{ManagerLogServices}/{service}";
    public static string ManagerLogEntries(string service) => $"{ManagerLogServices}/{service}/Entries";
    public static string ManagerLogEntry(string service, string entry) => $"{ManagerLogServices}/{service}/Entries/{entry}";
    public static string ManagerClearLog(string service) => $"{ManagerLogServices}/{service}/Actions/LogService.ClearLog";
    public const string UpdateService = "/redfish/v1/UpdateService";
    public const string FirmwareInventory = "/redfish/v1/UpdateService/FirmwareInventory";
    public const string SoftwareInventory = "/redfish/v1/UpdateService/SoftwareInventory";
    public const string SimpleUpdate = "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate";
    public const string SimpleUpdateActionInfo = "/redfish/v1/UpdateService/SimpleUpdateActionInfo";
    public static string Firmware(string item) => $"{FirmwareInventory}/{item}";
    public static string Software(string item) => $"{SoftwareInventory}/{item}";
}
