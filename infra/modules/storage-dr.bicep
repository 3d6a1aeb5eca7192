// The DR-region storage account: template backups, recovery records and VHD copies: what
// Lifeboat needs while a primary region is down. Soft delete and versioning are a second line of
// defence against a bad write or delete; a CanNotDelete lock guards against a teardown.

metadata name = 'Lifeboat DR storage'
metadata description = 'DR-region blob storage with soft delete, versioning, a previous-version lifecycle rule and a delete lock.'

@description('Required. Storage account name (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Required. Blob containers to create (Settings.templates_container, records_container, vhd_container).')
param containerNames array

@description('Optional. Region of the account: the DR region.')
param location string = resourceGroup().location

@description('Optional. Replication of the account (zone-redundant within the DR region by default).')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param skuName string = 'Standard_ZRS'

@description('Optional. Days a deleted blob, version or container stays recoverable.')
@minValue(1)
@maxValue(365)
param softDeleteRetentionDays int = 30

@description('Optional. Days a previous blob version is kept before the lifecycle policy deletes it (versioning would otherwise keep every overwritten or deleted backup forever).')
@minValue(1)
@maxValue(3650)
param previousVersionRetentionDays int = 30

@description('Optional. Management lock on the account; kind None removes it.')
param lock lockType = {
  kind: 'CanNotDelete'
}

@description('Optional. Tags for the account.')
param tags object = {}

@description('Kinds of management lock.')
type lockKind = 'CanNotDelete' | 'ReadOnly' | 'None'

@description('A management lock (AVM shape).')
type lockType = {
  name: string?
  kind: lockKind
}

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_35:Default action Allow: without VNet integration the Flex Consumption app reaches storage over its public endpoint; access needs Entra ID (shared key is off).
  // checkov:skip=CKV_AZURE_59:Public endpoint kept for the same reason as CKV_AZURE_35; anonymous blob access and shared keys are disabled.
  // checkov:skip=CKV_AZURE_206:This account is the copy outside the primary region; ZRS by default, and drStorage.skuName accepts Standard_GRS or Standard_GZRS where a second copy is wanted.
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: 'Enabled'
    supportsHttpsTrafficOnly: true
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    isVersioningEnabled: true
    deleteRetentionPolicy: {
      enabled: true
      days: softDeleteRetentionDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: softDeleteRetentionDays
    }
  }
}

// Versioning is a second line of defence, not the retention policy: the app prunes backups itself
// (LIFEBOAT_TEMPLATE_BACKUP_RETENTION), and previous versions of what it prunes or overwrites go
// after previousVersionRetentionDays (then stay soft-deleted for softDeleteRetentionDays).
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'delete-previous-versions'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
            }
            actions: {
              version: {
                delete: {
                  daysAfterCreationGreaterThan: previousVersionRetentionDays
                }
              }
            }
          }
        }
      ]
    }
  }
  dependsOn: [
    blobService
  ]
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for containerName in containerNames: {
  parent: blobService
  name: containerName
  properties: {
    publicAccess: 'None'
  }
}]

resource accountLock 'Microsoft.Authorization/locks@2020-05-01' = if (lock.kind != 'None') {
  name: lock.?name ?? '${account.name}-lock'
  scope: account
  properties: {
    level: lock.kind == 'ReadOnly' ? 'ReadOnly' : 'CanNotDelete'
    notes: 'Lifeboat DR storage holds the copies needed during a regional outage. Remove this lock deliberately before deleting the account.'
  }
}

@description('The storage account name.')
output name string = account.name

@description('The storage account resource id.')
output id string = account.id
