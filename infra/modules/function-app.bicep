// The Function App on the Flex Consumption plan (FC1), Python 3.11, with a system-assigned
// identity. It reaches its storage and Application Insights with that identity: no keys or
// connection strings with secrets appear in its settings.

metadata name = 'Lifeboat Function App'
metadata description = 'Flex Consumption plan and Python Function App with identity-based connections.'

@description('Required. Name of the Function App (also its default host name).')
param name string

@description('Required. Name of the Flex Consumption plan.')
param planName string

@description('Required. Name of the Function App storage account (AzureWebJobsStorage).')
param storageAccountName string

@description('Required. Container in that account that Flex Consumption deploys the package from.')
param deploymentContainerName string

@description('Required. Application Insights connection string (endpoint and instrumentation key; not a secret).')
param appInsightsConnectionString string

@description('Required. App settings Lifeboat reads (LIFEBOAT_*), as {name, value} pairs after the host settings.')
param appSettings array

@description('Optional. Region of the plan and the app: the DR region.')
param location string = resourceGroup().location

@description('Optional. Flex Consumption scale-out ceiling.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Optional. Memory per instance (MB).')
@allowed([
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Optional. Tags for the plan and the app (azd finds the app by its azd-service-name tag).')
param tags object = {}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  // checkov:skip=CKV_AZURE_225:Flex Consumption zone redundancy depends on the DR region; the app is stateless and its jobs resume from Table storage on any instance.
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

// Host settings: identity-based storage and Entra ID telemetry. Flex Consumption rejects
// FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION: functionAppConfig carries them.
var hostSettings = [
  {
    name: 'AzureWebJobsStorage__accountName'
    value: storage.name
  }
  {
    name: 'AzureWebJobsStorage__credential'
    value: 'managedidentity'
  }
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    value: appInsightsConnectionString
  }
  {
    name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
    value: 'Authorization=AAD'
  }
]

resource site 'Microsoft.Web/sites@2024-04-01' = {
  // checkov:skip=CKV_AZURE_222:Event Grid and Azure Monitor action groups push to the app's public endpoint; every HTTP function requires a function key.
  // checkov:skip=CKV_AZURE_17:Callers (Event Grid, action groups, operators) authenticate with function keys; none presents a client certificate.
  // checkov:skip=CKV_AZURE_212:Flex Consumption scales out per demand from zero; always-ready instances are a cost choice, not a failover need.
  // checkov:skip=CKV_AZURE_213:Flex Consumption has no App Service health-check probe; GET /api/status is the readiness endpoint.
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    publicNetworkAccess: 'Enabled'
    siteConfig: {
      // The whole list is written on every deployment: a redeploy converges on exactly it.
      appSettings: concat(hostSettings, appSettings)
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
    }
  }
}

// Children are top-level resources with `parent`: pycep (and so checkov) reads only one nested
// child per resource.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

@description('The Function App resource id.')
output id string = site.id

@description('The Function App name.')
output name string = site.name

@description('The default host name, e.g. <name>.azurewebsites.net.')
output defaultHostName string = site.properties.defaultHostName

@description('The principal id of the system-assigned identity.')
output principalId string = site.identity.principalId
