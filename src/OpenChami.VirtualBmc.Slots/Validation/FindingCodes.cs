namespace OpenChami.VirtualBmc.Slots.Validation;

/// <summary>The stable codes of binding findings; docs/validation.md says what each means and what to do.</summary>
public static class FindingCodes
{
    public const string LabelUnknown = "LABEL_UNKNOWN";
    public const string DeviceNotFound = "DEVICE_NOT_FOUND";
    public const string SelectorMismatch = "SELECTOR_MISMATCH";
    public const string DeviceClassMismatch = "DEVICE_CLASS_MISMATCH";
    public const string PfNotFound = "PF_NOT_FOUND";
    public const string PfNotSriov = "PF_NOT_SRIOV";
    public const string SriovNumVfsInvalid = "SRIOV_NUMVFS_INVALID";
    public const string VfIndexOutOfRange = "VF_INDEX_OUT_OF_RANGE";
    public const string VfMissing = "VF_MISSING";
    public const string VfPhysFnMismatch = "VF_PHYSFN_MISMATCH";
    public const string NumaMismatch = "NUMA_MISMATCH";
    public const string NumaUnknown = "NUMA_UNKNOWN";
    public const string NumaDevicesDisagree = "NUMA_DEVICES_DISAGREE";
    public const string NumaNodeMissing = "NUMA_NODE_MISSING";
    public const string NumaCpusInsufficient = "NUMA_CPUS_INSUFFICIENT";
    public const string NumaMemoryInsufficient = "NUMA_MEMORY_INSUFFICIENT";
    public const string NumaHugepagesInsufficient = "NUMA_HUGEPAGES_INSUFFICIENT";
    public const string IommuDisabled = "IOMMU_DISABLED";
    public const string IommuGroupMissing = "IOMMU_GROUP_MISSING";
    public const string IommuGroupHostDriver = "IOMMU_GROUP_HOST_DRIVER";
    public const string IommuGroupSplit = "IOMMU_GROUP_SPLIT";
    public const string DriverUnbound = "DRIVER_UNBOUND";
    public const string DriverHostOwned = "DRIVER_HOST_OWNED";
    public const string DeviceAssignedTwice = "DEVICE_ASSIGNED_TWICE";
    public const string DeviceInUse = "DEVICE_IN_USE";
    public const string ImageNoCatalog = "IMAGE_NO_CATALOG";
    public const string ImageCatalogUnavailable = "IMAGE_CATALOG_UNAVAILABLE";
    public const string ImageUnknown = "IMAGE_UNKNOWN";
    public const string ImageSourceMissing = "IMAGE_SOURCE_MISSING";
    public const string DiskUnusable = "DISK_UNUSABLE";
    public const string DiskProvisionFailed = "DISK_PROVISION_FAILED";
    public const string DiskMissing = "DISK_MISSING";
    public const string DomainDrift = "DOMAIN_DRIFT";
    public const string DomainForeign = "DOMAIN_FOREIGN";
    public const string DomainDefineFailed = "DOMAIN_DEFINE_FAILED";
    public const string LibvirtUnreachable = "LIBVIRT_UNREACHABLE";
    public const string InventoryHostMismatch = "INVENTORY_HOST_MISMATCH";
    public const string InventoryLabelConflict = "INVENTORY_LABEL_CONFLICT";
    public const string InventorySerialMismatch = "INVENTORY_SERIAL_MISMATCH";
    public const string InventorySerialUnconfirmed = "INVENTORY_SERIAL_UNCONFIRMED";
    public const string InventoryLocationMismatch = "INVENTORY_LOCATION_MISMATCH";
}
