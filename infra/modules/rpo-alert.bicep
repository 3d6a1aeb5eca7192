// The alert that fires when a protected item breaches its RPO target: a scheduled query over the
// `lifeboat.ledger.items` gauge (state = breached) that GET /api/status records in App Insights
// (docs/readiness.md, Telemetry).

metadata name = 'Lifeboat RPO breach alert'
metadata description = 'Scheduled query alert on breached items of the RPO ledger.'

@description('Required. Name of the alert rule.')
param name string

@description('Required. Name of the Application Insights component the app sends telemetry to.')
param appInsightsName string

@description('Optional. Region of the alert rule.')
param location string = resourceGroup().location

@description('Optional. Action groups notified when the alert fires.')
param actionGroupIds array = []

@description('Optional. Tags for the alert rule.')
param tags object = {}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource rpoBreach 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = {
  name: name
  location: location
  tags: tags
  properties: {
    displayName: 'Lifeboat: an item breached its RPO target'
    description: 'GET /api/status reported breached items in the RPO ledger (see the dashboard).'
    severity: 2
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT30M'
    windowSize: 'PT1H'
    criteria: {
      allOf: [
        {
          query: 'customMetrics | where name == "lifeboat.ledger.items" and tostring(customDimensions.state) == "breached" | summarize breached = max(value)'
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'breached'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: actionGroupIds
    }
  }
}

@description('The alert rule resource id.')
output id string = rpoBreach.id
