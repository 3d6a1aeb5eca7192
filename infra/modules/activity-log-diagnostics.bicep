// Sends one subscription's activity log (ServiceHealth, ResourceHealth) to Lifeboat's Log
// Analytics workspace, where the reconcile timer reads it (shared/outages/activity_log.py).

targetScope = 'subscription'

metadata name = 'Lifeboat activity log export'
metadata description = 'Subscription diagnostic setting: ServiceHealth and ResourceHealth to the workspace.'

@description('Required. Name of the diagnostic setting.')
param name string

@description('Required. Resource id of the Log Analytics workspace.')
param workspaceId string

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: name
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'ServiceHealth'
        enabled: true
      }
      {
        category: 'ResourceHealth'
        enabled: true
      }
    ]
  }
}
