// Log Analytics workspace + workspace-based Application Insights. Local (key) auth is off:
// the Function App sends telemetry with its managed identity (Monitoring Metrics Publisher).

metadata name = 'Lifeboat monitoring'
metadata description = 'Log Analytics workspace and Application Insights (Entra ID ingestion only).'

@description('Required. Name of the Log Analytics workspace.')
param workspaceName string

@description('Required. Name of the Application Insights component.')
param appInsightsName string

@description('Optional. Region of both resources.')
param location string = resourceGroup().location

@description('Optional. Days the workspace keeps data.')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

@description('Optional. Tags for both resources.')
param tags object = {}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      disableLocalAuth: true
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

@description('The Application Insights component name.')
output appInsightsName string = appInsights.name

@description('The connection string (an ingestion endpoint and an instrumentation key, no secret).')
output connectionString string = appInsights.properties.ConnectionString

@description('The workspace resource id.')
output workspaceId string = workspace.id

@description('The workspace id (customerId) the query API addresses (LIFEBOAT_ACTIVITY_WORKSPACE_ID).')
output customerId string = workspace.properties.customerId
