// The Function App's own storage account (AzureWebJobsStorage): host state, the deployment
// package, the job backbone (queue + table) and the Event Grid dead-letter container.
// Shared keys are off: every caller authenticates with Entra ID (identity-based connections).

metadata name = 'Lifeboat state storage'
metadata description = 'Function host storage with the jobs queue and table; shared key access disabled.'

@description('Required. Storage account name (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Required. Queue the run_job worker reads (Settings.jobs_queue).')
param jobsQueueName string

@description('Required. Table that holds job records (Settings.jobs_table).')
param jobsTableName string

@description('Required. Blob container Flex Consumption deploys the app package from.')
param deploymentContainerName string

@description('Required. Blob container for Event Grid deliveries that exhausted their retries.')
param deadLetterContainerName string

@description('Optional. Region of the account.')
param location string = resourceGroup().location

@description('Optional. Replication of the account.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
])
param skuName string = 'Standard_ZRS'

@description('Optional. Days a deleted blob or container stays recoverable.')
@minValue(1)
@maxValue(365)
param softDeleteRetentionDays int = 7

@description('Optional. Tags for the account.')
param tags object = {}

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_35:Default action Allow: without VNet integration the Flex Consumption app reaches storage over its public endpoint; access needs Entra ID (shared key is off).
  // checkov:skip=CKV_AZURE_59:Public endpoint kept for the same reason as CKV_AZURE_35; anonymous blob access and shared keys are disabled.
  // checkov:skip=CKV_AZURE_206:Host state and job records live in the DR region already and the reconciler re-derives them; ZRS (default) covers zone loss.
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

// Children are top-level resources with `parent`: pycep (and so checkov) reads only one nested
// child per resource.
resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
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

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deadLetterContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource jobsQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: jobsQueueName
}

// The Functions host moves messages here after maxDequeueCount (host.json); creating it up front
// makes the name deterministic and visible before the first poison message.
resource poisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: '${jobsQueueName}-poison'
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource jobsTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tableService
  name: jobsTableName
}

@description('The storage account name.')
output name string = account.name

@description('The storage account resource id.')
output id string = account.id

@description('The blob endpoint, e.g. https://<name>.blob.core.windows.net/.')
output blobEndpoint string = account.properties.primaryEndpoints.blob
